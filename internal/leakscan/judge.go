package leakscan

import "strings"

// verdict is what judge makes of a token.
type verdict int

const (
	notImage       verdict = iota
	reference              // a whole image reference
	composite              // a repository joined with a tag elsewhere
	registryPrefix         // a registry or hub that repositories are appended to
)

// judge decides whether token (a whole value, or one piece of a value) is
// an image reference. local is the name the token sits under inside its
// value ("-consul-image" in a script, "4.2.0" in "4.2.0=quay.io/..."), outer
// the key or variable holding the value; siblings are the other names next
// to the one that governs (keys of the same mapping, properties keys of the
// same text). This one function is the whole detection policy:
//
//   - anywhere: an explicit registry and a tag or digest (quay.io/x/y:1);
//   - under an image-named name: any reference with a path, tag or digest
//     ("vendor/x", "redis:7"), and a bare "nginx" as the image of a
//     container (a mapping with a name); placeholders such as "auto" aside.
//     The same under an upper-case variable (SIDECAR_IMAGE=busybox).
//     A bare word elsewhere (Istio's proxy.image: proxyv2, joined with a hub
//     and tag) is only part of a reference;
//   - under a repository/registry/hub name: a name with an explicit registry
//     (mirror.gcr.io/aquasec/trivy-db), or any name when a tag sits next to
//     it (repository: bitnami/redis + tag: 7): a composite.
func judge(token, local, outer string, siblings []string) verdict {
	if token == "" || strings.Contains(token, "://") {
		return notImage
	}
	governing := local
	if governing == "" {
		governing = outer
	}
	if r, ok := parseRef(token); ok {
		if r.explicit() && r.pinned() {
			return reference
		}
		if imageNamed(local) || imageNamed(outer) {
			switch {
			case placeholders[token]:
				return notImage
			case strings.ContainsAny(token, "/:@"):
				return reference
			case strongImageNamed(governing) && (strings.HasPrefix(governing, "-") || hasSibling(governing, siblings, map[string]bool{"name": true})):
				return reference // a container's image: nginx, or --image nginx
			case envVariable(governing) && (lastWord(governing) == "image" || strings.HasPrefix(governing, "RELATED_IMAGE_")):
				return reference // SIDECAR_IMAGE=busybox: a program passes it to the runtime whole
			}
		}
	}
	if repositoryWords[lastWord(governing)] && judgeComposite(token, governing, siblings) {
		if registryWords[lastWord(governing)] {
			return registryPrefix
		}
		return composite
	}
	return notImage
}

// judgeComposite decides whether token under a repository-like name is the
// prefix half of a composite reference.
func judgeComposite(token, name string, siblings []string) bool {
	if registryWords[lastWord(name)] && isDomain(token) {
		// registry: quay.io, next to a repository or a tag, or alone: an
		// operator's container-registry, joined with every image it makes.
		return !normalisingRegistries[name]
	}
	if !registryWords[lastWord(name)] && hasSibling(name, siblings, registryWords) {
		return false // repository: bitnami/redis next to registry: docker.io; the registry is the prefix
	}
	domain, _, ok := splitName(token)
	if !ok {
		return false
	}
	return domain != "" || hasSibling(name, siblings, tagWords)
}

// envVariable is an upper-case environment variable name (SIDECAR_IMAGE).
func envVariable(name string) bool {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for _, c := range name {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
