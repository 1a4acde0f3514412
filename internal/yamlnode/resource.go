package yamlnode

import "go.yaml.in/yaml/v3"

// Resource identifies a Kubernetes object for messages.
type Resource struct {
	APIVersion, Kind, Namespace, Name string
}

// String names the object as "Kind namespace/name", with "(no kind)" and
// "(unnamed)" for what is missing.
func (r Resource) String() string {
	kind, name := r.Kind, r.Name
	if kind == "" {
		kind = "(no kind)"
	}
	if name == "" {
		name = "(unnamed)"
	}
	if r.Namespace != "" {
		name = r.Namespace + "/" + name
	}
	return kind + " " + name
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
