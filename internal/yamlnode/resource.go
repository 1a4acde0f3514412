package yamlnode

import (
	"strconv"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// Resource identifies a Kubernetes object for messages.
type Resource struct {
	APIVersion, Kind, Namespace, Name string
}

// String names the object as "Kind namespace/name", with "(no kind)" and
// "(unnamed)" for what is missing.
// Every part is Printable: a name is the chart's, and may be an attacker's.
func (r Resource) String() string {
	kind, name := Printable(r.Kind), Printable(r.Name)
	if kind == "" {
		kind = "(no kind)"
	}
	if name == "" {
		name = "(unnamed)"
	}
	if r.Namespace != "" {
		name = Printable(r.Namespace) + "/" + name
	}
	return kind + " " + name
}

// Where names a field of a resource for messages: "container NAME (FIELD)",
// or "(FIELD)" outside a container, both Printable.
func Where(container, field string) string {
	where := "(" + Printable(field) + ")"
	if container != "" {
		where = "container " + Printable(container) + " " + where
	}
	return where
}

// Printable is s as it may be printed on a terminal or in a log: as it is
// when every rune is graphic (letters, marks, numbers, punctuation,
// symbols, spaces), quoted in Go syntax otherwise, so that a name holding a
// line break, an escape sequence or a bidirectional override can neither
// forge a line of output nor drive the terminal.
func Printable(s string) string {
	for _, r := range s {
		if !unicode.IsGraphic(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// Identify reads apiVersion, kind and metadata's name and namespace.
func Identify(obj *yaml.Node) Resource {
	r := Resource{APIVersion: ScalarAt(obj, "apiVersion"), Kind: ScalarAt(obj, "kind")}
	if meta := Lookup(obj, "metadata"); meta != nil {
		r.Name, r.Namespace = ScalarAt(meta, "name"), ScalarAt(meta, "namespace")
	}
	return r
}

// ListItems returns the items of a kind: List (each resolved) and true, or
// nil and false when obj is not a List with an items sequence: then obj is
// an object on its own.
func ListItems(obj *yaml.Node) ([]*yaml.Node, bool) {
	if ScalarAt(obj, "kind") != "List" {
		return nil, false
	}
	items := Lookup(obj, "items")
	if items == nil || items.Kind != yaml.SequenceNode {
		return nil, false
	}
	out := make([]*yaml.Node, len(items.Content))
	for i, item := range items.Content {
		out[i] = Resolve(item)
	}
	return out, true
}
