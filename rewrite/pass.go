package rewrite

import "go.yaml.in/yaml/v3"

// Pass is an extra step run on every parsed document after the image
// rewrite, for concerns beyond images (an egress audit, an issuer rewrite).
// Documents are processed concurrently: a Pass that collects findings must
// guard its own state, and can use Document.Index to restore stream order.
// A Pass that returns an error fails the run as an input error.
type Pass func(doc *Document, edit *Edit) error

// Document is a parsed document as a Pass sees it.
type Document struct {
	Index int        // 0-based position in the stream
	Line  int        // line of the document's first byte in the stream
	Root  *yaml.Node // the top-level mapping
}

// StreamLine turns a line within the document into one within the stream.
func (d *Document) StreamLine(line int) int { return d.Line + line - 1 }

// Edit changes scalar values of the document being processed, with the same
// byte-exact splicing as image rewrites.
type Edit struct{ patch *patch }

// SetScalar replaces the whole value of a scalar node.
func (e *Edit) SetScalar(n *yaml.Node, value string) {
	if n.Kind == yaml.ScalarNode && n.Value != value {
		e.patch.replace(n, 0, len(n.Value), value)
	}
}
