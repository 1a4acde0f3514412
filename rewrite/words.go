package rewrite

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/plexicus/helm-airgap/rules/detect"
)

// The cheap tests on names and values that run before any parsing: most
// strings of a manifest are neither references nor under a name that may
// hold one, and are passed over in a few byte comparisons.

// neverReference reports that a value cannot be a reference: no explicit
// registry, no role in the name it sits under, no name of an image or
// registry in it.
func neverReference(v, name string) bool {
	return strings.IndexByte(v, '/') < 0 && !nameMayMatter(name) && !mentionsImage(v) && !mentionsRegistry(v)
}

// nameRoles caches detect.NameRole for one run: the same few keys recur in
// every document. It stops growing at maxCachedNames, so hostile input with
// endless distinct keys cannot grow it without bound.
type nameRoles struct {
	m sync.Map
	n atomic.Int64
}

const maxCachedNames = 1 << 16

func (c *nameRoles) role(name string) detect.Role {
	if name == "" {
		return detect.RoleNone
	}
	if r, ok := c.m.Load(name); ok {
		return r.(detect.Role)
	}
	r := detect.NameRole(name)
	if c.n.Add(1) <= maxCachedNames {
		c.m.Store(name, r)
	}
	return r
}

// hasImageWord reports whether a name mentions images ("imageRegistry",
// "IMAGE_REGISTRY", "--sidecar-image"), in any case.
func hasImageWord(name string) bool { return containsAnyFold(name, imageWord) }

var imageWord = []string{"image"}

// mentionsImage is hasImageWord for values, which may be long text: a few
// substring searches instead of a byte-by-byte pass ("image", "Image" and
// "IMAGE", as names in text spell it).
func mentionsImage(v string) bool {
	return strings.Contains(v, "mage") || strings.Contains(v, "MAGE")
}

// isRegistryHost reports whether s is a bare registry host (with a port).
func isRegistryHost(s string) bool {
	return !strings.Contains(s, "/") && (strings.ContainsAny(s, ".:") || s == "localhost") && detect.ClassifyRepository(s+"/x", false)
}

// isText reports whether a value may hold more than one token.
func isText(v string) bool {
	return strings.ContainsAny(v, " \t\r\n,;=\"'") || (len(v) > 0 && (v[0] == '{' || v[0] == '['))
}

// mayHoldReference is the cheap test before text is scanned: a reference
// there names its registry (a slash) or sits under an image-named name, or
// the text names a registry setting (an operator's "container-registry").
func mayHoldReference(v string, role detect.Role) bool {
	return role == detect.RoleImage || strings.IndexByte(v, '/') >= 0 || mentionsImage(v) || mentionsRegistry(v)
}

// mentionsRegistry is mentionsImage for registry settings.
func mentionsRegistry(v string) bool {
	return strings.Contains(v, "egistr") || strings.Contains(v, "EGISTR")
}

// nameMayMatter is the cheap test before a name's role is looked up: every
// role word (image, repository, registry, hub, prefix, tag, version, digest)
// has one of these pieces in it, in any case.
func nameMayMatter(name string) bool { return containsAnyFold(name, roleWords) }

var roleWords = []string{"mage", "epo", "egistr", "ub", "refix", "ag", "ersion", "igest"}

// compositeWords are the pieces of the names of a composite's parts.
var compositeWords = []string{"epo", "egistr", "hub", "refix"}

// containsAnyFold reports whether s holds one of the lower-case ASCII words
// in any case, in one pass over s.
func containsAnyFold(s string, words []string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		for _, w := range words {
			if w[0] == c && hasPrefixFold(s[i:], w) {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for j := 0; j < len(lower); j++ {
		if s[j]|0x20 != lower[j] {
			return false
		}
	}
	return true
}
