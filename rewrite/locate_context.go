package rewrite

import (
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/rules/detect"
	"go.yaml.in/yaml/v3"
)

// contextLocator takes a single-token value by the name it sits under (a
// key, a flag, a variable; rules/detect's Classify decides): a whole
// reference, a repository or a prefix under a name that says so, a
// registry host under a registry-named name. It also takes mapping keys
// that are references (a table of helper images kept as the keys of a
// map).
type contextLocator struct{ noLocator }

func (contextLocator) value(w *walker, n *yaml.Node, name string) (bool, error) {
	v := n.Value
	if neverReference(v, name) {
		return true, nil
	}
	role := w.names.role(name)
	if strings.IndexByte(v, '/') < 0 && role == detect.RoleNone {
		return true, nil // no explicit registry and no image-named context: never a reference
	}
	switch role {
	case detect.RoleRepository, detect.RoleHub:
		if detect.ClassifyRepository(v, hasImageWord(name)) {
			kind := siteRepository
			if role == detect.RoleHub {
				kind = sitePrefix
			}
			w.textSite(n, 0, len(v), kind, "", w.fieldPath())
			return true, nil
		}
	case detect.RoleRegistry:
		if w.registrySetting(name, v) {
			w.textSite(n, 0, len(v), sitePrefix, "", w.fieldPath())
			return true, nil
		}
	}
	if _, ok := detect.Classify(v, detect.Context{Role: role, Flag: detect.TakesBareName(name)}, w.catalogue.IsPlaceholder); ok {
		w.textSite(n, 0, len(v), siteImage, "", w.fieldPath())
	}
	return true, nil
}

func (contextLocator) mapping(w *walker, m *yaml.Node, at mappingAt) error {
	if w.skip {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && strings.IndexByte(k.Value, '/') >= 0 {
			keySite(w, k, at.name)
		}
	}
	return nil
}

// keySite takes a mapping key that is a reference.
func keySite(w *walker, k *yaml.Node, parent string) {
	if w.seen[k] {
		return
	}
	if _, ok := detect.Classify(k.Value, detect.Context{Role: w.names.role(parent)}, w.catalogue.IsPlaceholder); ok {
		w.seen[k] = true
		w.textSite(k, 0, len(k.Value), siteImage, "", w.fieldPath()+" (key "+strconv.Quote(k.Value)+")")
	}
}

// registrySetting reports whether a registry-named value is a registry
// that images are pulled from: a registry host under any registry-named key
// ("imageRegistry", an operator's "container-registry" from which it builds
// every image it creates), unless the catalogue knows the setting only
// normalises names. It is rewritten to its mapped prefix, or refused.
func (w *walker) registrySetting(name, v string) bool {
	return isRegistryHost(v) && !w.catalogue.NormalisesOnly(name)
}
