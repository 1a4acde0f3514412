package mapper

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	distref "github.com/distribution/reference"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// Status says what the mapping did with a reference.
type Status int

const (
	// Internal references are already on the mirror, a rule destination or an
	// allowed registry; they are left exactly as written.
	Internal Status = iota
	// Rewritten references were moved by a rule or the catch-all mirror.
	Rewritten
	// Unmapped references match no rule and there is no mirror: they stay
	// public and fail the check.
	Unmapped
)

// Mapping is the outcome for one reference.
type Mapping struct {
	Source   reference.Ref
	Dest     string // the reference to write; equals Source.Written unless Rewritten
	DestRepo string // normalized destination repository
	Status   Status
	Rule     string // the rule's from, "mirror", or "" when not rewritten
}

// Mapper maps image references onto the internal registry. It is safe for
// concurrent use; each distinct reference is resolved once.
type Mapper struct {
	mirror      string
	rules       []compiledRule
	internal    map[string]bool // registry hosts that are already internal
	pullSecrets []string

	mu    sync.Mutex
	cache map[string]cached
}

type compiledRule struct {
	from, to string
	index    int // position in the config, for messages
}

type cached struct {
	mapping Mapping
	err     error
}

// Rule moves every repository under From to the same path under To.
type Rule struct {
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

// New is the mapper of validated, normalized prefixes (package config
// validates a config and calls it): the catch-all mirror or "", the rules,
// the registry hosts that are internal besides the mirror's and the rules'
// destinations', and the pull secret names.
func New(mirror string, rules []CompiledRule, allowed, pullSecrets []string) *Mapper {
	m := &Mapper{mirror: mirror, internal: map[string]bool{}, cache: map[string]cached{}, pullSecrets: pullSecrets}
	if mirror != "" {
		m.internal[reference.CanonicalHost(reference.DomainOf(mirror))] = true
	}
	for _, r := range rules {
		m.rules = append(m.rules, compiledRule{from: r.From, to: r.To, index: r.Index})
		m.internal[reference.CanonicalHost(reference.DomainOf(r.To))] = true
	}
	for _, host := range allowed {
		m.internal[reference.CanonicalHost(host)] = true
	}
	m.sortRules()
	return m
}

// sortRules orders rules longest source first, so the most specific wins.
func (m *Mapper) sortRules() {
	sort.SliceStable(m.rules, func(i, j int) bool { return len(m.rules[i].from) > len(m.rules[j].from) })
}

// PullSecrets are the secret names every pod spec must list.
func (m *Mapper) PullSecrets() []string { return m.pullSecrets }

// Mirror is the catch-all destination prefix, or "".
func (m *Mapper) Mirror() string { return m.mirror }

// IsInternal reports whether a registry host is the mirror's, a rule
// destination's or an allowed one.
func (m *Mapper) IsInternal(domain string) bool { return m.internal[reference.CanonicalHost(domain)] }

// Map resolves one reference as written.
func (m *Mapper) Map(s string) (Mapping, error) {
	m.mu.Lock()
	c, ok := m.cache[s]
	m.mu.Unlock()
	if ok {
		return c.mapping, c.err
	}
	mapping, err := m.resolve(s)
	m.mu.Lock()
	m.cache[s] = cached{mapping, err}
	m.mu.Unlock()
	return mapping, err
}

func (m *Mapper) resolve(s string) (Mapping, error) {
	ref, err := reference.Parse(s)
	if err != nil {
		return Mapping{}, err
	}
	out := Mapping{Source: ref, Dest: s, DestRepo: ref.Repository()}
	if m.internal[ref.Domain] {
		out.Status = Internal
		return out, nil
	}
	repo := ref.Repository()
	switch rule, ok := m.match(repo); {
	case ok:
		out.DestRepo = rule.to + repo[len(rule.from):]
		out.Rule = rule.from
	case m.mirror != "":
		out.DestRepo = m.mirror + "/" + ref.Path
		out.Rule = "mirror"
	default:
		out.Status = Unmapped
		return out, nil
	}
	out.Status = Rewritten
	out.Dest = out.DestRepo + ref.Suffix
	if _, err := distref.ParseNamed(out.DestRepo); err != nil {
		return Mapping{}, fmt.Errorf("mapping image reference %q to %q: %w", s, out.Dest, err)
	}
	return out, nil
}

// match finds the longest rule whose source is repo or a parent of it.
func (m *Mapper) match(repo string) (compiledRule, bool) {
	for _, rule := range m.rules {
		if reference.UnderPrefix(repo, rule.from) {
			return rule, true
		}
	}
	return compiledRule{}, false
}

// Hint suggests the rule that would move a public reference to the mirror.
func (m *Mapper) Hint(ref reference.Ref) string {
	r := m.SuggestRule(ref)
	return fmt.Sprintf("add a rule {from: %s, to: %s}, or set mirror: to send every unmatched image to one prefix", r.From, r.To)
}

// SuggestRule is the rule that would move a public reference's registry
// under the first rule's destination registry ("<your-registry>" when
// there is none).
func (m *Mapper) SuggestRule(ref reference.Ref) Rule {
	dest := "<your-registry>"
	if len(m.rules) > 0 {
		dest = reference.DomainOf(m.rules[0].to)
	}
	return Rule{From: ref.Domain, To: dest + "/" + ref.Domain}
}

// Collisions detects two different source repositories that would land on
// one destination repository. It is safe for concurrent use.
type Collisions struct {
	mu     sync.Mutex
	byDest map[string]string // destination repository -> first source repository
	found  map[string]bool
	list   []Collision
}

// Collision is a destination claimed by two sources.
type Collision struct{ Dest, First, Second string }

func (c Collision) String() string {
	return fmt.Sprintf("%s and %s would both be mirrored to %s", c.First, c.Second, c.Dest)
}

// Add records a rewritten mapping; mappings that were not rewritten cannot collide.
func (c *Collisions) Add(m Mapping) {
	if m.Status != Rewritten {
		return
	}
	src := m.Source.Repository()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byDest == nil {
		c.byDest, c.found = map[string]string{}, map[string]bool{}
	}
	first, ok := c.byDest[m.DestRepo]
	switch {
	case !ok:
		// Clones: a reference found in a large text must not keep the text.
		c.byDest[strings.Clone(m.DestRepo)] = strings.Clone(src)
	case first != src && !c.found[first+"\x00"+src]:
		c.found[first+"\x00"+src] = true
		c.list = append(c.list, Collision{Dest: m.DestRepo, First: first, Second: src})
	}
}

// List returns the collisions found, sorted by destination.
func (c *Collisions) List() []Collision {
	c.mu.Lock()
	defer c.mu.Unlock()
	list := append([]Collision(nil), c.list...)
	sort.Slice(list, func(i, j int) bool { return list[i].Dest+list[i].Second < list[j].Dest+list[j].Second })
	return list
}

// Knows reports whether a registry host is internal or the source of a rule.
func (m *Mapper) Knows(domain string) bool {
	domain = reference.CanonicalHost(domain)
	if m.internal[domain] {
		return true
	}
	for _, rule := range m.rules {
		if reference.DomainOf(rule.from) == domain {
			return true
		}
	}
	return false
}

// MapPrefix maps a registry or repository prefix that a program joins with
// image names at run time: Istio's hub ("docker.io/istio"), an image
// registry knob ("quay.io"). Every image under the prefix must land under
// one destination prefix, so a rule for part of what lies below it makes
// the prefix ambiguous: an error naming that rule.
func (m *Mapper) MapPrefix(s string) (Mapping, error) {
	prefix, err := normalizePrefix(s)
	if err != nil {
		return Mapping{}, fmt.Errorf("invalid image prefix %q: %w", s, err)
	}
	domain, path, _ := strings.Cut(prefix, "/")
	out := Mapping{Source: reference.Ref{Written: s, Domain: domain, Path: path}, Dest: s, DestRepo: prefix}
	if m.internal[domain] {
		out.Status = Internal
		return out, nil
	}
	for _, rule := range m.rules {
		if rule.from != prefix && reference.UnderPrefix(rule.from, prefix) {
			return Mapping{}, fmt.Errorf("images under the prefix %q are split by the rule for %q, so the prefix cannot be rewritten as one; add a rule for %q itself", s, rule.from, prefix)
		}
	}
	switch rule, ok := m.match(prefix); {
	case ok:
		out.DestRepo = rule.to + prefix[len(rule.from):]
		out.Rule = rule.from
	case m.mirror != "" && path != "":
		out.DestRepo = m.mirror + "/" + path
		out.Rule = "mirror"
	case m.mirror != "":
		out.DestRepo = m.mirror
		out.Rule = "mirror"
	default:
		out.Status = Unmapped
		return out, nil
	}
	out.Status, out.Dest = Rewritten, out.DestRepo
	return out, nil
}

// normalizePrefix turns a prefix into "domain[/path]": a bare host stays a
// host, a path without a registry is a Docker Hub namespace ("istio" is
// docker.io/istio, not docker.io/library/istio).
func normalizePrefix(s string) (string, error) {
	if reference.IsDomain(s) || reference.HasExplicitDomain(s) {
		return reference.ParsePrefix(s)
	}
	if _, err := distref.ParseNamed("prefix.invalid/" + s); err != nil {
		return "", err
	}
	return "docker.io/" + s, nil
}
