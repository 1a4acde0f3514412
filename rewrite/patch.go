package rewrite

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"

	"github.com/plexicus/helm-airgap/rules/mapper"
	"go.yaml.in/yaml/v3"
)

// patch collects a document's changes. Each is spliced into the original
// bytes when that is provably exact; otherwise every change is applied to
// the parsed tree and the document is re-encoded.
type patch struct {
	splicer
	changes []func() // the same changes, as tree mutations
	unsafe  bool     // some change could not be spliced
}

// replace sets n.Value[start:end] to text.
func (p *patch) replace(n *yaml.Node, start, end int, text string) {
	if !p.splicer.replace(n, start, end, text) {
		p.unsafe = true
	}
	p.changes = append(p.changes, func() { n.Value = n.Value[:start] + text + n.Value[end:] })
}

// span is one replacement in a scalar's value (decoded value, for base64).
type span struct {
	start, end int
	text       string
}

// spanEdits gathers a document's replacements per scalar, so that several
// references in one value (a script, an embedded file) become one change.
type spanEdits struct {
	scalars []*scalarEdit // in the order first reached
	byNode  map[*yaml.Node]*scalarEdit
}

// scalarEdit is every replacement in one scalar's value.
type scalarEdit struct {
	node  *yaml.Node
	enc   encoding
	spans []span
	have  map[[2]int]bool // spans already taken: a value can hold 100k references
}

// add records the replacement a mapped site asks for and reports whether it
// is new (one scalar can be reached twice, through an alias).
func (e *spanEdits) add(s site, m mapper.Mapping) bool {
	if s.kind == sitePair && s.partner != nil {
		domain, path, _ := strings.Cut(m.DestRepo, "/")
		e.put(*s.partner, domain)
		return e.put(s, path)
	}
	text := m.Dest
	if s.kind == siteRepository {
		text = m.DestRepo
	}
	return e.put(s, text)
}

func (e *spanEdits) put(s site, text string) bool {
	edit := e.byNode[s.node]
	if edit == nil {
		if e.byNode == nil {
			e.byNode = map[*yaml.Node]*scalarEdit{}
		}
		edit = &scalarEdit{node: s.node, enc: s.enc, have: map[[2]int]bool{}}
		e.byNode[s.node] = edit
		e.scalars = append(e.scalars, edit)
	}
	if at := [2]int{s.start, s.end}; !edit.have[at] {
		edit.have[at] = true
		edit.spans = append(edit.spans, span{s.start, s.end, text})
		return true
	}
	return false
}

// apply hands every scalar's replacements to the patch.
func (e *spanEdits) apply(p *patch) {
	for _, edit := range e.scalars {
		p.replaceSpans(edit.node, edit.enc, edit.spans)
	}
}

// replaceSpans applies replacements to a scalar's value: each spliced at
// its own bytes, or, for base64 data, the value re-encoded whole.
func (p *patch) replaceSpans(n *yaml.Node, enc encoding, spans []span) {
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	if enc == base64Text {
		decoded, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			p.unsafe = true // found as base64 moments ago; cannot happen
			return
		}
		p.replace(n, 0, len(n.Value), base64.StdEncoding.EncodeToString([]byte(applySpans(string(decoded), spans))))
		return
	}
	for _, s := range spans {
		if !p.splicer.replace(n, s.start, s.end, s.text) {
			p.unsafe = true
		}
	}
	value := n.Value
	p.changes = append(p.changes, func() { n.Value = applySpans(value, spans) })
}

// applySpans returns v with sorted, non-overlapping spans replaced.
func applySpans(v string, spans []span) string {
	var b strings.Builder
	pos := 0
	for _, s := range spans {
		if s.start < pos {
			continue // overlapping: the first wins
		}
		b.WriteString(v[pos:s.start])
		b.WriteString(s.text)
		pos = s.end
	}
	b.WriteString(v[pos:])
	return b.String()
}

// pullSecrets merges names into every pod spec's imagePullSecrets, keeping
// existing entries and their order, and returns how many specs changed.
func (p *patch) pullSecrets(specs []podSpec, names []string) int {
	changed := 0
	seen := map[*yaml.Node]bool{}
	for _, spec := range specs {
		// A spec reached twice through an alias gets its secrets once.
		if seen[spec.node] {
			continue
		}
		seen[spec.node] = true
		existing := yamlnode.Lookup(spec.node, keyImagePullSecrets)
		if existing != nil {
			// So is a list shared by several specs.
			if seen[existing] {
				continue
			}
			seen[existing] = true
		}
		missing := missingSecrets(existing, names)
		if len(missing) == 0 {
			continue
		}
		changed++
		if existing != nil && yamlnode.IsNull(existing) {
			// "imagePullSecrets: null" (or empty) becomes the list.
			if !p.replaceNullPullSecrets(existing, missing) {
				p.unsafe = true
			}
			p.changes = append(p.changes, func() {
				list := secretList(missing)
				existing.Kind, existing.Tag, existing.Value, existing.Style, existing.Content = list.Kind, list.Tag, "", 0, list.Content
			})
			continue
		}
		if existing == nil {
			if !p.insertPullSecrets(spec.node, missing) {
				p.unsafe = true
			}
			m := spec.node
			p.changes = append(p.changes, func() {
				key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: keyImagePullSecrets}
				m.Content = append([]*yaml.Node{key, secretList(missing)}, m.Content...)
			})
			continue
		}
		appended := false
		if existing.Style&yaml.FlowStyle != 0 {
			appended = p.appendFlowPullSecrets(existing, missing)
		} else {
			appended = p.appendPullSecrets(existing, missing)
		}
		if !appended {
			p.unsafe = true
		}
		p.changes = append(p.changes, func() { existing.Content = append(existing.Content, secretList(missing).Content...) })
	}
	return changed
}

// missingSecrets lists the names an imagePullSecrets value does not have yet.
func missingSecrets(existing *yaml.Node, names []string) []string {
	have := map[string]bool{}
	if existing != nil && existing.Kind == yaml.SequenceNode {
		for _, item := range existing.Content {
			have[yamlnode.ScalarAt(item, "name")] = true
		}
	}
	var missing []string
	for _, name := range names {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	return missing
}

func secretList(names []string) *yaml.Node {
	list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, name := range names {
		item := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: "name"},
			{Kind: yaml.ScalarNode, Tag: "!!str", Value: name},
		}}
		list.Content = append(list.Content, item)
	}
	return list
}

// output is the rewritten document: spliced when possible, re-encoded
// otherwise.
func (p *patch) output(d *document) (out []byte, reEncoded bool, err error) {
	if !p.unsafe {
		return p.apply(), false, nil
	}
	for _, change := range p.changes {
		change()
	}
	out, err = encode(d)
	if err != nil {
		return nil, false, fmt.Errorf("%s: re-encoding after a change that could not be spliced: %w", d.where(), err)
	}
	if p.eol() == "\r\n" {
		// The encoder writes "\n"; a CRLF stream keeps CRLF throughout. Line
		// breaks inside scalars are "\n" in the tree whatever the input had.
		out = bytes.ReplaceAll(out, []byte("\n"), []byte("\r\n"))
	}
	return out, true, nil
}

// encode writes a parsed document back as YAML, keeping its leading "---".
func encode(d *document) ([]byte, error) {
	var b bytes.Buffer
	if isMarker(d.data) {
		b.WriteString("---\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d.doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
