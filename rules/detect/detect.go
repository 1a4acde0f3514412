package detect

import (
	"github.com/plexicus/helm-airgap/rules/reference"
	"strings"
	"unicode"
)

// Detection decides, from a string and the name it sits under, whether the
// string is an image reference. The name is a mapping key ("image",
// "imageName", "trivy.dbRepository"), a flag ("--engine-image",
// "-consul-image") or a variable ("CSI_ATTACHER_IMAGE", "RELATED_IMAGE_DB").
//
// The rule is one sentence: a string is an image reference when it parses as
// one AND either it sits under an image-named name, or it names an explicit
// registry host and carries a tag or digest. Implicit Docker Hub names
// ("bitnami/redis:7") therefore count only under an image-named name, so
// versions, label values, host:port pairs and prose are never taken for
// images. The word lists below are the data; Classify is the one function.

// Role is what a name says its value holds.
type Role int

const (
	// RoleNone names something else.
	RoleNone Role = iota
	// RoleImage names a whole image reference: image, agentImage,
	// CSI_ATTACHER_IMAGE, --engine-image, imageName, imageRef, RELATED_IMAGE_X.
	RoleImage
	// RoleRepository names a repository whose tag lives elsewhere or is
	// added at run time: repository, dbRepository, TRIVY_DB_REPOSITORY.
	RoleRepository
	// RoleRegistry names the registry host of a composite: registry.
	RoleRegistry
	// RoleHub names a registry/namespace prefix that a program joins with
	// image names it knows: hub (Istio), imageRegistryPrefix.
	RoleHub
	// RoleTag names the tag, version or digest of a composite.
	RoleTag
)

// notImageEnds are last words that make an image-named name about something
// else than the reference: imagePullPolicy, imagePullSecrets, imageTag.
var notImageEnds = map[string]bool{
	"policy": true, "pull": true, "secret": true, "secrets": true, "tag": true, "tags": true,
	"version": true, "versions": true, "digest": true, "registry": true, "registries": true,
	"repository": true, "repo": true, "hub": true, "prefix": true, "size": true, "count": true,
	"id": true, "sha": true, "hash": true, "format": true, "type": true, "mode": true,
	"enabled": true, "disabled": true, "url": true, "uri": true, "path": true, "dir": true,
	"file": true, "credentials": true, "user": true, "username": true, "password": true,
	"timeout": true, "interval": true, "label": true, "labels": true, "annotations": true,
	"selector": true, "filter": true, "pattern": true, "regex": true, "list": true,
}

// roleEnds map a name's last word to its role when the name is not image-named.
var roleEnds = map[string]Role{
	"repository": RoleRepository, "repo": RoleRepository,
	"registry": RoleRegistry,
	"hub":      RoleHub,
	"tag":      RoleTag, "version": RoleTag, "digest": RoleTag,
}

// NameRole classifies a key, flag or variable name.
func NameRole(name string) Role {
	words := nameWords(name)
	if len(words) == 0 {
		return RoleNone
	}
	last := words[len(words)-1]
	for _, w := range words {
		if (w == "image" || w == "images") && !notImageEnds[last] {
			return RoleImage
		}
	}
	if last == "prefix" && len(words) > 1 && (words[len(words)-2] == "registry" || words[len(words)-2] == "image") {
		return RoleHub
	}
	return roleEnds[last]
}

// RolePrefix is a name in lower case without the role word it ends in, so
// that the parts of one composite group together: "trivy.repository" and
// "trivy.tag" share "trivy.", "imageRegistry" and "imageTag" share "image".
func RolePrefix(name string) string {
	lower := strings.ToLower(name)
	for word := range roleEnds { // no role word ends in another
		if strings.HasSuffix(lower, word) {
			return lower[:len(lower)-len(word)]
		}
	}
	return lower
}

// nameWords splits a name into lower-case words at punctuation and at
// lower-to-upper case changes: "AGENT_INJECT_VAULT_IMAGE", "--engine-image",
// "imageK8S" and "node.collector.imageRef" all have their words found.
func nameWords(name string) []string {
	var words []string
	start := -1
	runes := []rune(name)
	flush := func(i int) {
		if start >= 0 {
			words = append(words, strings.ToLower(string(runes[start:i])))
			start = -1
		}
	}
	for i, r := range runes {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush(i)
		case start >= 0 && unicode.IsUpper(r) && unicode.IsLower(runes[i-1]):
			flush(i)
			start = i
		case start < 0:
			start = i
		}
	}
	flush(len(runes))
	return words
}

// notImageWords are values that sit under image-named names without being
// images: keywords of pull policies, switches and empty markers.
var notImageWords = map[string]bool{
	"true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"none": true, "null": true, "nil": true, "default": true, "always": true,
	"never": true, "ifnotpresent": true, "enabled": true, "disabled": true,
}

// Context is where a string was found, as Classify needs it.
type Context struct {
	// Role is what the name the string sits under says it holds.
	Role Role
	// Flag says the name is a command-line flag ("--image") or an
	// environment variable ("SIDECAR_IMAGE"), where a bare word ("--image
	// nginx", "SIDECAR_IMAGE=busybox") is an image as surely as in a
	// container: programs pass such values to the runtime whole.
	Flag bool
	// Strict says the place holds an image whatever its name: a container's
	// image, a catalogued field.
	Strict bool
}

// TakesBareName reports whether a bare word under name is a whole image:
// name is a flag ("--image") or an environment variable ("SIDECAR_IMAGE",
// upper case, digits and underscores). Lower-case keys ("image" beside
// Istio's "hub") may hold a name a program joins with a registry prefix.
func TakesBareName(name string) bool {
	if strings.HasPrefix(name, "-") {
		return true
	}
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Classify reports whether value, found in context ctx, is an image
// reference, and returns it parsed. Under an image-named name an implicit
// Docker Hub name counts when it has a namespace or tag ("bitnami/redis",
// "nginx:1.25"); a bare word ("nginx", Istio's "proxyv2" joined with a hub)
// counts only in strict places and after a flag. isPlaceholder tells
// placeholders such as Istio's "image: auto".
func Classify(value string, ctx Context, isPlaceholder func(string) bool) (reference.Ref, bool) {
	if value == "" || len(value) > 512 || strings.ContainsAny(value, " \t\r\n\"'`$\\{}()[]<>|;,") ||
		strings.Contains(value, "://") {
		return reference.Ref{}, false
	}
	explicit := reference.HasExplicitDomain(value)
	imageNamed := ctx.Strict || ctx.Role == RoleImage
	if !imageNamed && (!explicit || !strings.ContainsAny(value[strings.IndexByte(value, '/'):], ":@")) {
		return reference.Ref{}, false // cheap rejection of most strings before parsing
	}
	ref, err := reference.Parse(value)
	if err != nil {
		return reference.Ref{}, false
	}
	if isPlaceholder != nil && isPlaceholder(value) {
		return reference.Ref{}, false
	}
	switch {
	case explicit && !plausibleRegistry(ref.Domain):
		return reference.Ref{}, false
	case explicit:
		return ref, imageNamed || ref.Suffix != ""
	case !looksLikeImage(ref):
		return reference.Ref{}, false
	case ctx.Strict || ctx.Flag:
		return ref, true
	default:
		return ref, strings.ContainsAny(value, "/:@")
	}
}

// ClassifyRepository reports whether value, found under a repository-,
// registry- or hub-named name, is a repository (or prefix) that images are
// pulled from. Without an image-named parent (implicitOK) it must name its
// registry explicitly.
func ClassifyRepository(value string, implicitOK bool) bool {
	if value == "" || strings.ContainsAny(value, " \t\r\n\"'`$\\{}()[]<>|;,@") || strings.Contains(value, "://") {
		return false
	}
	if !implicitOK && !reference.HasExplicitDomain(value) {
		return false
	}
	ref, err := reference.Parse(value)
	if err != nil || ref.Suffix != "" || notImageWords[strings.ToLower(value)] {
		return false
	}
	return !reference.HasExplicitDomain(value) || plausibleRegistry(ref.Domain)
}

// looksLikeImage rejects implicit Docker Hub names that are not images even
// under an image-named key: versions ("1.2.3") and keywords ("always").
func looksLikeImage(ref reference.Ref) bool {
	name := ref.Path
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	if notImageWords[strings.TrimPrefix(ref.Path, "library/")] {
		return false
	}
	return strings.IndexFunc(name, unicode.IsLetter) >= 0
}

// plausibleRegistry rejects hosts that are label and annotation prefixes
// rather than registries ("topology.kubernetes.io/zone:a" is a selector).
func plausibleRegistry(domain string) bool {
	host, _, _ := strings.Cut(domain, ":")
	return host != "kubernetes.io" && !strings.HasSuffix(host, ".kubernetes.io")
}
