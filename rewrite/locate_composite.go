package rewrite

import (
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
	"go.yaml.in/yaml/v3"
)

// compositeLocator takes image references split over the keys of one
// mapping, and registry settings: registry + repository (+ tag),
// repository + tag, hub + tag, their flat forms ("trivy.repository" +
// "trivy.tag", "imageRegistry" + "imageRepository"), image: {name,
// version|tag|digest}, and a registry host alone under a registry-named
// key, from which a program builds the images it pulls.
type compositeLocator struct{ noLocator }

func (compositeLocator) mapping(w *walker, m *yaml.Node, at mappingAt) error {
	if !w.skip {
		composites(w, m, at.name)
	}
	return nil
}

// composites finds image references split over the keys of one mapping:
// registry + repository (+ tag), repository + tag, hub + tag, and their
// flat forms ("trivy.repository" + "trivy.tag", "imageRegistry" +
// "imageRepository"). The repository (or registry and repository, or hub)
// is rewritten; the tag stays where it is.
func composites(w *walker, m *yaml.Node, name string) {
	parentImage := w.names.role(name) == detect.RoleImage
	namedImage := parentImage && namesTaggedImage(m)
	if !hasCompositeKey(m) && !namedImage {
		return
	}
	var order []string
	groups := map[string]*compositeParts{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], yamlnode.Resolve(m.Content[i+1])
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			continue
		}
		role, prefix := w.names.role(k.Value), detect.RolePrefix(k.Value)
		if namedImage && k.Value == "name" {
			role, prefix = detect.RoleRepository, ""
		}
		if role == detect.RoleNone || role == detect.RoleImage {
			continue
		}
		g := groups[prefix]
		if g == nil {
			g = &compositeParts{}
			groups[prefix] = g
			order = append(order, prefix)
		}
		p := part{key: k.Value, node: v}
		switch role {
		case detect.RoleRegistry:
			g.registry = p
		case detect.RoleRepository:
			g.repository = p
		case detect.RoleHub:
			g.hub = p
		case detect.RoleTag:
			g.tagged = true
		}
	}
	for _, prefix := range order {
		composite(w, groups[prefix], parentImage || hasImageWord(prefix))
	}
}

// namesTaggedImage reports whether a mapping under an image-named key is
// image: {name: REPOSITORY, tag|version|digest: TAG}, as injectors and
// custom resources spell an image in two keys. Without the tag, "name" is
// a reference to another object (imageCatalogRef: {name: ...}).
func namesTaggedImage(m *yaml.Node) bool {
	if yamlnode.Lookup(m, "name") == nil {
		return false
	}
	for _, tag := range []string{"tag", "version", "digest"} {
		if yamlnode.Lookup(m, tag) != nil {
			return true
		}
	}
	return false
}

// part is one key of a composite and its value.
type part struct {
	key  string
	node *yaml.Node
}

// compositeParts are the keys of one mapping that share a prefix.
type compositeParts struct {
	registry, repository, hub part
	tagged                    bool
}

// hasCompositeKey is the cheap test before composites: a repository,
// registry, hub or prefix key.
func hasCompositeKey(m *yaml.Node) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if containsAnyFold(m.Content[i].Value, compositeWords) {
			return true
		}
	}
	return false
}

// composite records one group of composite parts.
func composite(w *walker, g *compositeParts, implicit bool) {
	str := func(p part) bool {
		return p.node != nil && isString(p.node) && p.node.Value != "" && !w.seen[p.node]
	}
	site := func(p part, kind siteKind) site {
		w.seen[p.node] = true
		return w.makeSite(p.node, 0, len(p.node.Value), kind, "", w.fieldPath(p.key))
	}
	registry, repository, hub := g.registry, g.repository, g.hub
	switch {
	case str(registry) && str(repository) && (implicit || g.tagged) && isRegistryHost(registry.node.Value) &&
		detect.ClassifyRepository(registry.node.Value+"/"+repository.node.Value, false):
		reg := site(registry, sitePair)
		repo := site(repository, sitePair)
		repo.partner, repo.value = &reg, registry.node.Value+"/"+repository.node.Value
		w.sites = append(w.sites, repo)
	case str(repository) && (implicit || g.tagged) && detect.ClassifyRepository(repository.node.Value, implicit):
		w.sites = append(w.sites, site(repository, siteRepository))
	case str(hub) && (implicit || g.tagged) && detect.ClassifyRepository(hub.node.Value, implicit):
		w.sites = append(w.sites, site(hub, sitePrefix))
	case str(registry) && repository.node == nil && hub.node == nil && w.registrySetting(registry.key, registry.node.Value):
		w.sites = append(w.sites, site(registry, sitePrefix))
	}
}
