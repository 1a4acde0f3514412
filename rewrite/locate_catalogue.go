package rewrite

import (
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"go.yaml.in/yaml/v3"
)

// catalogueLocator takes the fields the catalogue (rules/detect's
// catalogue.yaml and the config's imageFields) names in a kind of custom
// resource: each must be a string reference. It also records the mappings
// the catalogue says get imagePullSecrets.
type catalogueLocator struct{ noLocator }

func (catalogueLocator) object(w *walker, obj *yaml.Node) error {
	res := w.res
	for _, field := range w.catalogue.ImageFields(res.APIVersion, res.Kind) {
		steps, _ := detect.ParseFieldPath(field.Path) // validated with the config
		if err := catalogued(w, obj, steps); err != nil {
			return err
		}
		w.path = w.path[:w.objectDepth]
	}
	for _, p := range w.catalogue.PullSecretPaths(res.APIVersion, res.Kind) {
		steps, _ := detect.ParseFieldPath(p)
		if m := follow(w, obj, steps); m != nil && m.Kind == yaml.MappingNode {
			if err := w.addPodSpec(m); err != nil {
				return err
			}
		}
		w.path = w.path[:w.objectDepth]
	}
	return nil
}

// follow walks a path of plain keys to the node it names, leaving w.path
// pointing at it.
func follow(w *walker, n *yaml.Node, steps []detect.PathStep) *yaml.Node {
	for _, s := range steps {
		if n = yamlnode.Lookup(n, s.Key); n == nil || s.Each {
			return nil
		}
		w.path = append(w.path, step{key: s.Key, index: -1})
	}
	return n
}

// catalogued follows a catalogued path to the scalars it names.
func catalogued(w *walker, n *yaml.Node, steps []detect.PathStep) error {
	if len(steps) == 0 {
		return w.strictSite(n, "", w.fieldPath(), true)
	}
	v := yamlnode.Lookup(n, steps[0].Key)
	if v == nil {
		return nil
	}
	w.path = append(w.path, step{key: steps[0].Key, index: -1})
	defer func() { w.path = w.path[:len(w.path)-1] }()
	if !steps[0].Each {
		return catalogued(w, v, steps[1:])
	}
	if v.Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range v.Content {
		w.path = append(w.path, step{index: i})
		err := catalogued(w, yamlnode.Resolve(item), steps[1:])
		w.path = w.path[:len(w.path)-1]
		if err != nil {
			return err
		}
	}
	return nil
}
