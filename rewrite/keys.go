package rewrite

import (
	"strconv"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// checkKeys rejects duplicate keys with different values, which YAML
// forbids and which parsers resolve differently (the API server would see
// one value, a reviewer the other). A key repeated with the same value (a
// label Helm renders twice) means the same to every parser: a warning.
func (w *walker) checkKeys(m *yaml.Node) error {
	n := len(m.Content) / 2
	if n < 2 || w.host != nil {
		// Embedded text is the application's, not a manifest: every value of
		// a repeated key is searched, so nothing hides behind the repeat.
		return nil
	}
	if n <= 12 {
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				if err := w.sameKey(m, 2*i, 2*j); err != nil {
					return err
				}
			}
		}
		return nil
	}
	seen := make(map[string]int, n)
	for i := 0; i < n; i++ {
		k := m.Content[2*i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			if err := w.sameKey(m, first, 2*i); err != nil {
				return err
			}
		}
		seen[k.Value] = 2 * i
	}
	return nil
}

func (w *walker) sameKey(m *yaml.Node, i, j int) error {
	a, b := m.Content[i], m.Content[j]
	if a.Kind != yaml.ScalarNode || b.Kind != yaml.ScalarNode || a.Value != b.Value || a.Tag == "!!merge" {
		return nil
	}
	name := "document"
	if w.res != nil {
		name = w.res.String()
	}
	if sameValue(m.Content[i+1], m.Content[j+1]) {
		w.warnings = append(w.warnings, w.doc.where()+": "+name+": key "+strconv.Quote(b.Value)+
			" repeated with the same value at line "+strconv.Itoa(w.doc.streamLine(b.Line))+
			" (first at line "+strconv.Itoa(w.doc.streamLine(a.Line))+"); accepted")
		return nil
	}
	return inputErrorf("%s: %s: duplicate key %q at line %d (first at line %d)",
		w.doc.where(), name, b.Value, w.doc.streamLine(b.Line), w.doc.streamLine(a.Line))
}

// sameValue reports whether two values are the same scalar.
func sameValue(a, b *yaml.Node) bool {
	a, b = yamlnode.Resolve(a), yamlnode.Resolve(b)
	return a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode && a.Tag == b.Tag && a.Value == b.Value
}
