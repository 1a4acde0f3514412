package k8syaml

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// Check decodes data as Kubernetes does (sigs.k8s.io/yaml) and compares
// the result with root, the normalised tree of the same document: the same
// keys, the same structure and the same strings. Numbers, booleans and nulls
// are compared only as "not a string": helm-airgap never takes them for
// image references. data must hold that one document.
func Check(data []byte, root *yaml.Node) error {
	j, err := sigsyaml.YAMLToJSON(data)
	if err != nil && strings.Contains(err.Error(), "excessive aliasing") {
		return &Error{Msg: "too many nodes after expanding aliases (an alias bomb?)"}
	}
	if err != nil {
		return &Error{Msg: "Kubernetes cannot read this document: " + oneLine(err.Error())}
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var theirs any
	if err := dec.Decode(&theirs); err != nil {
		return &Error{Msg: "Kubernetes cannot read this document: " + oneLine(err.Error())}
	}
	if root != nil && root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			root = nil
		} else {
			root = root.Content[0]
		}
	}
	return compare(root, theirs, "", 0)
}

func compare(n *yaml.Node, theirs any, path string, depth int) error {
	n = resolve(n)
	if depth > maxDepth {
		return &Error{Path: path, Msg: "nested too deeply"}
	}
	switch t := theirs.(type) {
	case map[string]any:
		return compareMapping(n, t, path, depth)
	case []any:
		if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) != len(t) {
			return differ(n, path, "a list")
		}
		for i, item := range n.Content {
			if err := compare(item, t[i], path+"["+strconv.Itoa(i)+"]", depth+1); err != nil {
				return err
			}
		}
		return nil
	case string:
		if s, ok := stringOf(n); !ok || s != t {
			return differ(n, path, fmt.Sprintf("the string %q", truncate(t)))
		}
		return nil
	case nil:
		if n == nil || n.Kind == yaml.ScalarNode && n.Tag == tagNull {
			return nil
		}
		return differ(n, path, "null")
	default: // json.Number or bool
		if n == nil || n.Kind != yaml.ScalarNode || ReadsAsString(n) && !yaml11Bool(n, t) {
			return differ(n, path, fmt.Sprintf("the value %v", t))
		}
		return nil
	}
}

func compareMapping(n *yaml.Node, theirs map[string]any, path string, depth int) error {
	if n == nil || n.Kind != yaml.MappingNode {
		return differ(n, path, "a mapping")
	}
	ours := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		ours[n.Content[i].Value] = n.Content[i+1] // a repeated key: the last wins, as in v2
	}
	if len(ours) != len(theirs) {
		return differ(n, path, fmt.Sprintf("a mapping of %d keys", len(theirs)))
	}
	for k, v := range ours {
		tv, ok := theirs[k]
		if !ok {
			return &Error{Path: path, Line: n.Line, Msg: fmt.Sprintf("Kubernetes does not read the key %q here (it reads the YAML differently: a merge key, a tag, or a YAML 1.1 value)", truncate(k))}
		}
		if err := compare(v, tv, join(path, k), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// stringOf is the string Kubernetes reads from a scalar that reads as one.
func stringOf(n *yaml.Node) (string, bool) {
	if !ReadsAsString(n) {
		return "", false
	}
	if n.Tag != tagBinary {
		return n.Value, true
	}
	b, err := base64.StdEncoding.DecodeString(n.Value)
	if err != nil {
		return "", false
	}
	return strings.ToValidUTF8(string(b), "\uFFFD"), true
}

// yaml11Bool reports whether a string scalar is one of YAML 1.1's boolean
// words (yes, no, on, off, y, n), which go-yaml v2 reads as a boolean: no
// image reference is spelt so, and nothing helm-airgap decides on differs.
func yaml11Bool(n *yaml.Node, theirs any) bool {
	if _, ok := theirs.(bool); !ok || n.Tag != tagStr || n.Style != 0 {
		return false
	}
	switch n.Value {
	case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF":
		return true
	}
	return false
}

func differ(n *yaml.Node, path, theirs string) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &Error{Path: path, Line: line, Msg: "Kubernetes reads " + theirs + " here, which differs from the YAML as written (a merge key, a tag, or a YAML 1.1 value)"}
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
