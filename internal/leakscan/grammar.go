package leakscan

import (
	"regexp"
	"strings"
)

// The reference grammar, written down again from the OCI distribution spec
// (https://github.com/distribution/reference/blob/main/reference.go) rather
// than imported, so the oracle does not share the engine's parser:
//
//	reference := name [ ":" tag ] [ "@" digest ]
//	name      := [ domain "/" ] path-component [ "/" path-component ]*
var (
	domainRE    = regexp.MustCompile(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$`)
	pathRE      = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	tagRE       = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	digestRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
	maxNameSize = 255
)

// ref is a parsed image reference. Domain is empty for an implicit Docker
// Hub name ("nginx", "bitnami/redis").
type ref struct {
	Domain, Path, Tag, Digest string
}

// parseRef parses s as an image reference; ok is false when it is not one.
func parseRef(s string) (r ref, ok bool) {
	name := s
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name, r.Digest = name[:at], name[at+1:]
		if !digestRE.MatchString(r.Digest) {
			return ref{}, false
		}
	}
	// The tag is after the last colon that follows the last slash (a colon
	// before it belongs to the domain's port).
	if colon := strings.LastIndexByte(name, ':'); colon > strings.LastIndexByte(name, '/') {
		name, r.Tag = name[:colon], name[colon+1:]
		if !tagRE.MatchString(r.Tag) {
			return ref{}, false
		}
	}
	if r.Domain, r.Path, ok = splitName(name); !ok {
		return ref{}, false
	}
	return r, true
}

// splitName splits a name without tag or digest into its domain (empty
// when implicit) and path. The first component is a domain when it has a dot
// or a port, or is localhost, or has upper-case letters.
func splitName(name string) (domain, path string, ok bool) {
	if len(name) > maxNameSize {
		return "", "", false
	}
	first, rest, hasSlash := strings.Cut(name, "/")
	if hasSlash && looksLikeDomain(first) {
		domain, path = first, rest
		if !domainRE.MatchString(domain) {
			return "", "", false
		}
	} else {
		path = name
	}
	return domain, path, pathRE.MatchString(path)
}

func looksLikeDomain(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost" || strings.ToLower(s) != s
}

// isDomain says whether s alone is a registry host ("quay.io", "localhost:5000").
func isDomain(s string) bool {
	return looksLikeDomain(s) && domainRE.MatchString(s)
}

func (r ref) explicit() bool { return r.Domain != "" }

func (r ref) pinned() bool { return r.Tag != "" || r.Digest != "" }

// repository is the full repository name, with Docker Hub's implicit domain
// and library/ namespace spelled out, for comparing against prefixes.
func (r ref) repository() string {
	if r.Domain != "" {
		return r.Domain + "/" + r.Path
	}
	if !strings.Contains(r.Path, "/") {
		return "docker.io/library/" + r.Path
	}
	return "docker.io/" + r.Path
}
