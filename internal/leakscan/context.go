package leakscan

import (
	"strings"
	"unicode"
)

// What a name (a mapping key, an env variable, a flag, a properties key)
// says about the value under it. Names are split into lower-case words at
// punctuation and camelCase: "AGENT_INJECT_VAULT_IMAGE", "-consul-k8s-image",
// "node.collector.imageRef" and "imageConsulDataplane" all contain the word
// "image".

// imageWords make a name image-named.
var imageWords = map[string]bool{"image": true, "images": true}

// notImageWords unmake it: imagePullPolicy, imagePullSecrets, imageTag,
// imageDigest, imageRegistry and the like hold no reference.
var notImageWords = map[string]bool{
	"pull": true, "policy": true, "secret": true, "secrets": true, "tag": true, "tags": true,
	"digest": true, "registry": true, "repository": true, "repo": true, "version": true,
	"enabled": true, "enable": true,
}

// repositoryWords, as a name's last word, make its value the repository
// (or registry) half of a composite reference.
var repositoryWords = map[string]bool{"repository": true, "repo": true, "registry": true, "hub": true}

// registryWords name a registry host (or host/namespace) alone.
var registryWords = map[string]bool{"registry": true, "hub": true}

// tagWords, as the last word of a sibling name, hold the other half.
var tagWords = map[string]bool{"tag": true}

// normalisingRegistries are registry settings that pull nothing: Kyverno's
// defaultRegistry is the registry an image without one is matched as.
var normalisingRegistries = map[string]bool{"defaultRegistry": true}

// placeholders are values an image-named field may hold that are not
// images: a sidecar injector replaces `image: auto` at admission time.
var placeholders = map[string]bool{"auto": true}

// words splits a name into lower-case words.
func words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	runes := []rune(name)
	for i, r := range runes {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && i > 0 && (unicode.IsLower(runes[i-1]) ||
			(unicode.IsUpper(runes[i-1]) && i+1 < len(runes) && unicode.IsLower(runes[i+1]))):
			flush() // camelCase: imageRef, K8SImage
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

// imageNamed says whether a name says its value is an image:
// image, imageName, *_IMAGE, *_IMAGES, RELATED_IMAGE_*, --x-image, imageRef.
func imageNamed(name string) bool {
	found := false
	for _, w := range words(name) {
		if notImageWords[w] {
			return false
		}
		found = found || imageWords[w]
	}
	return found
}

// strongImageNamed is a name that is just "image" (a pod-spec or CR image
// field, an `--image` flag): there even a bare "nginx" is an image.
func strongImageNamed(name string) bool {
	w := words(name)
	return len(w) == 1 && w[0] == "image"
}

func lastWord(name string) string {
	w := words(name)
	if len(w) == 0 {
		return ""
	}
	return w[len(w)-1]
}

// base is a name without its last word ("trivy.repository" -> "trivy.",
// "controllerRepository" -> "controller"), so that "trivy.tag" and
// "trivy.repository" are recognised as two halves of one reference.
func base(name string) string {
	w := lastWord(name)
	if w == "" {
		return name
	}
	i := strings.LastIndex(strings.ToLower(name), w)
	return strings.ToLower(name[:i])
}

// hasSibling says whether a name among siblings has the same base as name
// and a last word in set.
func hasSibling(name string, siblings []string, set map[string]bool) bool {
	b := base(name)
	for _, s := range siblings {
		if s != name && set[lastWord(s)] && base(s) == b {
			return true
		}
	}
	return false
}
