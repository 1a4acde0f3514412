package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/plexicus/helm-airgap/egress/egressconfig"
	"github.com/plexicus/helm-airgap/rules/detect"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// APIVersion is the current config format. A file without apiVersion is read
// as this version, so existing files keep working when the format evolves.
const APIVersion = "helm-airgap/v1"

// Config is the airgap.yaml file: where images go and what counts as internal.
type Config struct {
	APIVersion  string              `yaml:"apiVersion,omitempty" json:"apiVersion,omitempty"`
	Mirror      string              `yaml:"mirror,omitempty" json:"mirror,omitempty"`
	Rules       []mapper.Rule       `yaml:"rules,omitempty" json:"rules,omitempty"`
	PullSecrets []string            `yaml:"pullSecrets,omitempty" json:"pullSecrets,omitempty"`
	Allow       []string            `yaml:"allow,omitempty" json:"allow,omitempty"`
	ImageFields []detect.ImageField `yaml:"imageFields,omitempty" json:"imageFields,omitempty"`
	// Operators extend the built-in catalogue (catalogue.yaml) in its shape.
	Operators []detect.Operator `yaml:"catalogue,omitempty" json:"catalogue,omitempty"`
	// Ignore acknowledges public references left on purpose, each with a reason.
	Ignore []Ignore `yaml:"ignore,omitempty" json:"ignore,omitempty"`
	// Lock names a lock file written by mirror --lock (relative to the
	// config file); every rewritten reference is pinned to its digest.
	Lock string `yaml:"lock,omitempty" json:"lock,omitempty"`

	// The phone-home audit and the internal cert-manager issuer (egress.go).
	Egress *egressconfig.Egress `yaml:"egress,omitempty" json:"egress,omitempty"`
	Issuer *egressconfig.Issuer `yaml:"issuer,omitempty" json:"issuer,omitempty"`

	source string            // file name, for messages
	lines  map[string]int    // key path ("rules[1].to") -> line in source
	origin map[string]string // key path -> the flag that set it, for messages
}

// LoadFile reads and validates a config file.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a config strictly: unknown keys, a second document and a
// wrong apiVersion are errors naming the file and line.
func Parse(data []byte, source string) (*Config, error) {
	cfg := &Config{source: source}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, syntaxError(data, source, err)
	}
	if len(root.Content) > 0 {
		cfg.lines = map[string]int{}
		recordLines(root.Content[0], "", cfg.lines)
		// Every problem at once: the hints, the unknown keys, the values of
		// the wrong type (on lines no hint has named already).
		hints := cfg.commonMistakes(root.Content[0]) // hints.go
		errs := []error{hints, cfg.checkKeys(root.Content[0], reflect.TypeOf(*cfg), "")}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(cfg); err != nil {
			errs = append(errs, typeErrors(err, source, hints))
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		var extra yaml.Node
		if err := dec.Decode(&extra); err == nil {
			return nil, fmt.Errorf("%s:%d: a config file holds one document; found another", source, extra.Line)
		} else if !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading config %s: %w", source, err)
		}
	}
	if cfg.APIVersion != "" && cfg.APIVersion != APIVersion {
		return nil, cfg.errorf("apiVersion", "unsupported apiVersion %q (this helm-airgap reads %q)", cfg.APIVersion, APIVersion)
	}
	return cfg, nil
}

// checkKeys reports every key that names no field of t, with its file, line
// and path, so that a misspelt key ("mirrors", "form") is never ignored.
// yaml's KnownFields stops at the first one and names no path.
func (c *Config) checkKeys(node *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice && node.Kind != yaml.SequenceNode {
			return nil // a type mismatch is the decoder's (or a hint's) to report
		}
		if t.Kind() == reflect.Slice {
			var errs []error
			for i, item := range node.Content {
				errs = append(errs, c.checkKeys(item, t.Elem(), path+"["+strconv.Itoa(i)+"]"))
			}
			return errors.Join(errs...)
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || node.Kind != yaml.MappingNode {
		return nil // a type mismatch is the decoder's to report
	}
	fields := map[string]reflect.Type{}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" && t.Field(i).IsExported() {
			fields[name] = t.Field(i).Type
			known = append(known, name)
		}
	}
	var errs []error
	for i := 0; i+1 < len(node.Content); i += 2 {
		key := node.Content[i].Value
		keyPath := key
		if path != "" {
			keyPath = path + "." + key
		}
		ft, ok := fields[key]
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d: %s: unknown key (%s)", c.source, node.Content[i].Line, keyPath, suggestKey(key, known)))
			continue
		}
		errs = append(errs, c.checkKeys(node.Content[i+1], ft, keyPath))
	}
	return errors.Join(errs...)
}

// suggestKey names the known key nearest a misspelt one ("did you mean
// mirror?"), or lists the known keys when none is near.
func suggestKey(key string, known []string) string {
	best, bestDistance := "", 3 // only close misspellings
	for _, k := range known {
		if d := levenshtein.ComputeDistance(strings.ToLower(key), strings.ToLower(k)); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	if best != "" {
		return "did you mean " + best + "?"
	}
	return "known: " + strings.Join(known, ", ")
}

// yamlLine is the line yaml puts in its messages ("yaml: line 3: ..." or
// "line 3: ..." in a list of unmarshal errors).
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line ([0-9]+): `)

// syntaxError names the line of a YAML syntax error. yaml reports the line
// where the enclosing block starts, not the one that breaks it ("line 2"
// for a bad indent on line 5); the first line at which the text stops
// parsing is the one to fix, so it is found by parsing ever longer
// beginnings of the file (a config is short).
func syntaxError(data []byte, source string, err error) error {
	msg, line := err.Error(), 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var v yaml.Node
	for n := max(line, 1); n <= len(lines) && n <= maxSyntaxScan; n++ {
		if yaml.Unmarshal(bytes.Join(lines[:n], nil), &v) != nil {
			line = n
			break
		}
	}
	if line == 0 {
		return fmt.Errorf("reading config %s: %w", source, err)
	}
	return fmt.Errorf("%s:%d: invalid YAML: %s", source, line, msg)
}

// maxSyntaxScan bounds the lines syntaxError parses beginnings of.
const maxSyntaxScan = 2000

// typeErrors turns yaml's list of values of the wrong type into one error
// per value, "file:line: ...", leaving out lines a hint already named.
func typeErrors(err error, source string, hints error) error {
	var typeErr *yaml.TypeError
	if !errors.As(err, &typeErr) {
		return fmt.Errorf("reading config %s: %w", source, err)
	}
	hinted := ""
	if hints != nil {
		hinted = "\n" + hints.Error() + "\n"
	}
	var errs []error
	for _, e := range typeErr.Errors {
		m := yamlLine.FindStringSubmatch(e)
		if m == nil {
			errs = append(errs, fmt.Errorf("%s: %s", source, goTypeWords.Replace(e)))
			continue
		}
		if strings.Contains(hinted, "\n"+source+":"+m[1]+": ") {
			continue
		}
		errs = append(errs, fmt.Errorf("%s:%s: %s", source, m[1], goTypeWords.Replace(e[len(m[0]):])))
	}
	return errors.Join(errs...)
}

// goTypeWords say the Go types a type error names in the file's words.
var goTypeWords = strings.NewReplacer(
	"[]mapper.Rule", "a list of rules {from, to}",
	"mapper.Rule", "a rule {from, to}",
	"[]detect.ImageField", "a list of image fields {kind, path}",
	"detect.ImageField", "an image field {kind, path}",
	"[]detect.Operator", "a list of catalogue entries",
	"detect.Operator", "a catalogue entry",
	"[]config.Ignore", "a list of ignore entries",
	"config.Ignore", "an ignore entry",
	"egressconfig.Egress", "the egress section",
	"egressconfig.Issuer", "the issuer section",
	"egressconfig.AllowRule", "an egress allow rule",
)

// recordLines maps every key path of a config document to its line.
func recordLines(node *yaml.Node, path string, lines map[string]int) {
	switch node.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			if path != "" {
				key = path + "." + key
			}
			lines[key] = node.Content[i].Line
			recordLines(node.Content[i+1], key, lines)
		}
	case yaml.SequenceNode:
		for i, item := range node.Content {
			key := path + "[" + strconv.Itoa(i) + "]"
			lines[key] = item.Line
			recordLines(item, key, lines)
		}
	}
}

// Overrides are the command-line settings that add to or replace the file's.
type Overrides struct {
	Mirror      string
	Rules       []mapper.Rule
	PullSecrets []string
	Allow       []string
	// From says how a setting was given when not by its flag, by flag name
	// ("mirror": "env HELM_AIRGAP_MIRROR"), for Origin.
	From map[string]string
}

// label is how the setting of a flag was given: From's, else --flag.
func (o Overrides) label(flag string) string {
	if l := o.From[flag]; l != "" {
		return l
	}
	return "--" + flag
}

// Apply merges command-line settings into the config: a mirror replaces the
// file's, a rule replaces the file's rule with the same from, and pull secrets
// and allowed domains are added.
func (c *Config) Apply(o Overrides) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	if o.Mirror != "" {
		c.Mirror = o.Mirror
		c.origin["mirror"] = o.label("mirror")
	}
	for _, rule := range o.Rules {
		flag := o.label("rule") + " " + rule.From + "=" + rule.To
		replaced := false
		for i := range c.Rules {
			if sameSource(c.Rules[i].From, rule.From) {
				c.Rules[i], replaced = rule, true
				c.origin["rules["+strconv.Itoa(i)+"]"] = flag
			}
		}
		if !replaced {
			c.origin["rules["+strconv.Itoa(len(c.Rules))+"]"] = flag
			c.Rules = append(c.Rules, rule)
		}
	}
	c.PullSecrets = c.appendNew("pullSecrets", o.label("pull-secret"), c.PullSecrets, o.PullSecrets...)
	c.Allow = c.appendNew("allow", o.label("allow"), c.Allow, o.Allow...)
}

// sameSource reports whether two rule sources name the same prefix, however
// spelt ("docker.io/bitnami", "index.docker.io/bitnami").
func sameSource(a, b string) bool {
	if a == b {
		return true
	}
	pa, errA := reference.ParsePrefix(a)
	pb, errB := reference.ParsePrefix(b)
	return errA == nil && errB == nil && pa == pb
}

func (c *Config) appendNew(key, flag string, list []string, items ...string) []string {
	for _, item := range items {
		if !contains(list, item) {
			c.origin[key+"["+strconv.Itoa(len(list))+"]"] = flag + " " + item
			list = append(list, item)
		}
	}
	return list
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

// ParseRuleFlag parses a --rule FROM=TO flag value.
func ParseRuleFlag(s string) (mapper.Rule, error) {
	from, to, ok := strings.Cut(s, "=")
	if !ok || from == "" || to == "" {
		return mapper.Rule{}, fmt.Errorf("parsing rule %q: want FROM=TO", s)
	}
	return mapper.Rule{From: from, To: to}, nil
}

// errorf builds a config error that names the file, line and key, or the
// command-line flag the value came from.
func (c *Config) errorf(key, format string, args ...any) error {
	for k, flag := range c.origin {
		if key == k || strings.HasPrefix(key, k+".") {
			return fmt.Errorf("%s: %s", flag, fmt.Sprintf(format, args...))
		}
	}
	where := c.source
	if where == "" {
		where = "config"
	}
	if line, ok := c.lines[key]; ok {
		where += ":" + strconv.Itoa(line)
	}
	return fmt.Errorf("%s: %s: %s", where, key, fmt.Sprintf(format, args...))
}

// Compile validates the config and returns the Mapper it describes. Every
// problem is reported, not only the first.
func (c *Config) Compile() (*mapper.Mapper, error) {
	var errs []error
	fail := func(err error) { errs = append(errs, err) }
	mirror := ""
	if c.Mirror != "" {
		prefix, err := parseDestination(c.Mirror)
		if err != nil {
			fail(c.errorf("mirror", "%v", err))
		} else {
			mirror = prefix
		}
	}
	compiled, ruleErrs := c.compileRules()
	errs = append(errs, ruleErrs...)
	allowed, allowErrs := c.allowedRegistries()
	errs = append(errs, allowErrs...)
	for i, name := range c.PullSecrets {
		if !isDNSSubdomain(name) {
			fail(c.errorf("pullSecrets["+strconv.Itoa(i)+"]", "invalid secret name %q: want a lower-case DNS subdomain", name))
		}
	}
	for i, f := range c.ImageFields {
		key := "imageFields[" + strconv.Itoa(i) + "]"
		if f.Kind == "" {
			fail(c.errorf(key+".kind", "kind is required"))
		}
		if _, err := detect.ParseFieldPath(f.Path); err != nil {
			fail(c.errorf(key+".path", "%v", err))
		}
	}
	errs = append(errs, c.validateCatalogue()...)
	errs = append(errs, c.validateEgress()...)
	m := mapper.New(mirror, compiled, allowed, c.PullSecrets)
	for _, r := range compiled { // in the config's order, as the other errors are
		if m.IsInternal(reference.DomainOf(r.From)) {
			errs = append(errs, c.errorf("rules["+strconv.Itoa(r.Index)+"].from",
				"source %q is on an internal registry, so the rule would never apply", c.Rules[r.Index].From))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// compileRules normalizes the rules' prefixes, refusing a repeated source.
func (c *Config) compileRules() ([]mapper.CompiledRule, []error) {
	var out []mapper.CompiledRule
	var errs []error
	seen := map[string]int{}
	for i, r := range c.Rules {
		key := "rules[" + strconv.Itoa(i) + "]"
		from, err := reference.ParsePrefix(r.From)
		if err != nil {
			errs = append(errs, c.errorf(key+".from", "invalid source %q: %v", r.From, err))
			continue
		}
		if first, dup := seen[from]; dup {
			errs = append(errs, c.errorf(key+".from", "duplicate source %q (also rules[%d])", r.From, first))
			continue
		}
		seen[from] = i
		to, err := parseDestination(r.To)
		if err != nil {
			errs = append(errs, c.errorf(key+".to", "%v", err))
			continue
		}
		out = append(out, mapper.CompiledRule{From: from, To: to, Index: i})
	}
	return out, errs
}

// allowedRegistries checks allow:, which may not name a public registry.
func (c *Config) allowedRegistries() ([]string, []error) {
	var out []string
	var errs []error
	for i, domain := range c.Allow {
		key := "allow[" + strconv.Itoa(i) + "]"
		switch {
		case !reference.IsDomain(domain):
			errs = append(errs, c.errorf(key, "invalid registry domain %q: want a host name, with an optional port", domain))
		case reference.IsPublicRegistry(domain):
			errs = append(errs, c.errorf(key, "%q is a public registry; allowing it would let public images through", domain))
		default:
			out = append(out, domain)
		}
	}
	return out, errs
}

// parseDestination validates a rule's to or the mirror: an explicit,
// non-public registry domain with an optional path. The destination keeps
// its port as written (":80" may be what makes the runtime use plain
// HTTP); only comparisons drop a default port.
func parseDestination(s string) (string, error) {
	if _, err := reference.ParsePrefix(s); err != nil {
		return "", fmt.Errorf("invalid destination %q: %v", s, err)
	}
	domain, path, _ := strings.Cut(s, "/")
	if !reference.IsDomain(domain) {
		return "", fmt.Errorf("invalid destination %q: it must start with a registry host (a name with a dot or port, or localhost)", s)
	}
	if reference.IsPublicRegistry(domain) {
		return "", fmt.Errorf("destination %q is a public registry, not a mirror", s)
	}
	if path == "" {
		return strings.ToLower(domain), nil
	}
	return strings.ToLower(domain) + "/" + path, nil
}

// isDNSSubdomain checks a Kubernetes object name (RFC 1123 subdomain).
func isDNSSubdomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// Origin says where the value at a top-level key path ("mirror",
// "rules[1]", "egress") came from: the flag that set it, or "FILE:LINE" of
// the config file, or "" for a default.
func (c *Config) Origin(key string) string {
	if flag, ok := c.origin[key]; ok {
		return flag
	}
	if line, ok := c.lines[key]; ok && c.source != "" {
		return c.source + ":" + strconv.Itoa(line)
	}
	return ""
}
