package rewrite

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// plan collects a document's changes. Each is spliced into the original
// bytes when that is provably exact; otherwise every change is applied to
// the parsed tree and the document is re-encoded.
type plan struct {
	splicer
	changes []func() // the same changes, as tree mutations
	unsafe  bool     // some change could not be spliced
}

// replace sets n.Value[start:end] to text.
func (p *plan) replace(n *yaml.Node, start, end int, text string) {
	if !p.splicer.replace(n, start, end, text) {
		p.unsafe = true
	}
	p.changes = append(p.changes, func() { n.Value = n.Value[:start] + text + n.Value[end:] })
}

// pullSecrets merges names into every pod spec's imagePullSecrets, keeping
// existing entries and their order, and returns how many specs changed.
func (p *plan) pullSecrets(specs []podSpec, names []string) int {
	changed := 0
	seen := map[*yaml.Node]bool{}
	for _, spec := range specs {
		// A spec reached twice through an alias gets its secrets once.
		if seen[spec.node] {
			continue
		}
		seen[spec.node] = true
		existing := lookup(spec.node, keyImagePullSecrets)
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
		if existing != nil && isNull(existing) {
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
			have[scalarAt(item, "name")] = true
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
func (p *plan) output(d *document) (out []byte, reEncoded bool, err error) {
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
