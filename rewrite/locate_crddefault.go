package rewrite

import (
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// crdDefaultLocator reads the defaults of a CustomResourceDefinition's
// schema. The rest of a CRD is documentation and is never searched, but
// the API server writes a default into every custom resource that leaves
// the field out, so an operator pulls "default: quay.io/org/agent:1" as
// surely as an image written in the resource. Each default is offered to
// the locators under the name of the property it belongs to.
type crdDefaultLocator struct{ noLocator }

func (crdDefaultLocator) object(w *walker, obj *yaml.Node) error {
	if w.res.Kind != "CustomResourceDefinition" {
		return nil
	}
	versions := yamlnode.Lookup(yamlnode.Lookup(obj, "spec"), "versions")
	if versions == nil || versions.Kind != yaml.SequenceNode {
		return nil
	}
	for i, v := range versions.Content {
		schema := yamlnode.Lookup(yamlnode.Lookup(v, "schema"), "openAPIV3Schema")
		if schema == nil {
			continue
		}
		w.path = append(w.path[:w.objectDepth], step{key: "spec", index: -1}, step{key: "versions", index: -1},
			step{index: i}, step{key: "schema", index: -1}, step{key: "openAPIV3Schema", index: -1})
		if err := schemaDefaults(w, schema, ""); err != nil {
			return err
		}
	}
	return nil
}

// schemaDefaults offers the default of the schema s, which describes the
// property name, and those of the schemas inside it: its properties, the
// items of an array (still under name: a list of images), and the values
// of a map.
func schemaDefaults(w *walker, s *yaml.Node, name string) error {
	if w.budget--; w.budget < 0 {
		return inputErrorf("%s: %s: too many nodes after expanding aliases (an alias bomb?)", w.doc.where(), w.res)
	}
	if d := yamlnode.Lookup(s, "default"); d != nil && name != "" {
		if err := inSchema(w, "default", func() error {
			w.skip = false
			defer func() { w.skip = true }()
			return w.walk(d, name, false, false)
		}); err != nil {
			return err
		}
	}
	if props := yamlnode.Lookup(s, "properties"); props != nil && props.Kind == yaml.MappingNode {
		err := inSchema(w, "properties", func() error {
			for i := 0; i+1 < len(props.Content); i += 2 {
				key := props.Content[i].Value
				if err := inSchema(w, key, func() error { return schemaDefaults(w, props.Content[i+1], key) }); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, sub := range []string{"items", "additionalProperties"} {
		if n := yamlnode.Lookup(s, sub); n != nil && yamlnode.Resolve(n).Kind == yaml.MappingNode {
			if err := inSchema(w, sub, func() error { return schemaDefaults(w, n, name) }); err != nil {
				return err
			}
		}
	}
	return nil
}

// inSchema runs fn with key appended to the path.
func inSchema(w *walker, key string, fn func() error) error {
	w.path = append(w.path, step{key: key, index: -1})
	defer func() { w.path = w.path[:len(w.path)-1] }()
	return fn()
}
