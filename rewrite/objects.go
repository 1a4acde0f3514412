package rewrite

import (
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// emptyList reports whether a document is a list without an item, which
// holds no object: Argo CD and kubectl read any object whose items is a
// sequence as a list of its items (apimachinery's Unstructured.IsList),
// whatever its kind: "List", "ConfigMapList" or another.
func emptyList(root *yaml.Node) bool {
	items := yamlnode.Lookup(root, "items")
	return items != nil && items.Kind == yaml.SequenceNode && len(items.Content) == 0
}
