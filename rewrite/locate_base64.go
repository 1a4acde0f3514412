package rewrite

import (
	"bytes"
	"encoding/base64"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// base64Locator reads base64 data as Kubernetes does: a Secret's data, a
// ConfigMap's binaryData (at the top of the document or as an item of a
// kind: List) and any "!!binary" value are their decoded bytes. Decoded
// text is offered to the other locators like any value (embedded documents
// and tokens included) and written back encoded; binary data holds no
// reference. In embedded text a "!!binary" value is the application's and
// stays unread.
type base64Locator struct{ noLocator }

func (base64Locator) value(w *walker, n *yaml.Node, name string) (bool, error) {
	switch {
	case n.Tag == tagBinary && w.host != nil:
		return true, nil
	case n.Tag == tagBinary, w.host == nil && base64Data(w):
		return true, decoded(w, n, name)
	}
	return false, nil
}

// base64Data reports whether the value being walked is base64 data of its
// object.
func base64Data(w *walker) bool {
	if w.res == nil || len(w.path) != w.objectDepth+2 {
		return false
	}
	field := w.path[w.objectDepth].key
	return w.res.Kind == "Secret" && field == "data" || w.res.Kind == "ConfigMap" && field == "binaryData"
}

// decoded offers the decoded text of a base64 value to the locators. The
// text stands in a synthetic node that is the host's whole value.
func decoded(w *walker, n *yaml.Node, name string) error {
	text, err := base64.StdEncoding.DecodeString(n.Value)
	if err != nil || !utf8.Valid(text) || bytes.IndexByte(text, 0) >= 0 {
		return nil // not base64 text: binary data holds no reference
	}
	self := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(text)}
	h := &hostText{node: n, enc: base64Text, self: self, toHost: func(i int) int { return i }, path: w.fieldPath()}
	return w.within(h, func() error { return w.value(self, name) })
}
