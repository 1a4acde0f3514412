package yamlnode

import "go.yaml.in/yaml/v3"

// maxDepth bounds alias chains and nested merge keys. The parser refuses an
// alias to a node that contains it, so a chain ends; the bound keeps a
// hand-built or hostile tree from recursing without end all the same.
const maxDepth = 100

// Resolve follows an alias to the node it names.
func Resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < maxDepth; depth++ {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is a null value: "", "~" or "null" unquoted, or
// no node at all.
func IsNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Lookup returns the value of key in a mapping, aliases resolved, or nil.
// Merge keys ("<<: *anchor" or "<<: [*a, *b]") are applied as Kubernetes'
// YAML decoder (go-yaml v2) applies them: where they stand, a later key or
// merge overriding an earlier one, and of a merged list the first mapping
// holding the key winning. rewrite expands merges before it walks a
// document (internal/k8syaml); this reads the trees that are not expanded.
func Lookup(m *yaml.Node, key string) *yaml.Node {
	return lookup(m, key, 0)
}

func lookup(m *yaml.Node, key string, depth int) *yaml.Node {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > maxDepth {
		return nil
	}
	var found *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch k := m.Content[i]; {
		case k.Value == key && k.Kind == yaml.ScalarNode && k.Tag != "!!merge":
			found = Resolve(m.Content[i+1])
		case k.Value == "<<" && k.Tag == "!!merge":
			if v := lookupMerged(m.Content[i+1], key, depth); v != nil {
				found = v
			}
		}
	}
	return found
}

// lookupMerged looks key up in a merge key's value: a mapping, or a list of
// mappings the first of which holding key wins.
func lookupMerged(merged *yaml.Node, key string, depth int) *yaml.Node {
	if merged = Resolve(merged); merged != nil && merged.Kind == yaml.SequenceNode {
		for _, item := range merged.Content {
			if v := lookup(item, key, depth+1); v != nil {
				return v
			}
		}
		return nil
	}
	return lookup(merged, key, depth+1)
}

// Path looks up a path of mapping keys; nil when a step is missing.
func Path(m *yaml.Node, keys ...string) *yaml.Node {
	for _, key := range keys {
		if m = Lookup(m, key); m == nil {
			return nil
		}
	}
	return m
}

// ScalarAt is the scalar value at a path of mapping keys, or "" when a step
// is missing or the value is not a scalar.
func ScalarAt(m *yaml.Node, keys ...string) string {
	if v := Path(m, keys...); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}
