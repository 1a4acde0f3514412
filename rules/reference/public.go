package reference

import (
	_ "embed"
	"strings"
	"sync"
)

// publicList is the list of well-known public registries, kept as data
// (public.txt) so that adding a host is a one-line change with a test.
//
//go:embed public.txt
var publicList string

var publicRegistries = sync.OnceValue(func() []string { return parsePublicList(publicList) })

// parsePublicList reads public.txt: one host a line, "#" comments and
// blank lines skipped, hosts canonical (lower case, no default port).
func parsePublicList(text string) []string {
	var hosts []string
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line != "" {
			hosts = append(hosts, CanonicalHost(line))
		}
	}
	return hosts
}

// IsPublicRegistry reports whether domain is a well-known public registry,
// however its case and default port are written ("Quay.io:443" is quay.io).
func IsPublicRegistry(domain string) bool {
	domain = CanonicalHost(domain)
	for _, public := range publicRegistries() {
		if suffix, wildcard := strings.CutPrefix(public, "*"); wildcard {
			if strings.HasSuffix(domain, suffix) {
				return true
			}
		} else if domain == public {
			return true
		}
	}
	return false
}

// CanonicalHost is a registry host as two spellings of one registry
// compare equal: lower case, without the scheme's default port (":443",
// and ":80" for plain HTTP), so that "quay.io:443" can pass neither as the
// mirror nor as an allowed registry. A host that is one word without its
// port ("myreg:443") keeps it: without a dot or a port, "myreg/app" is a
// Docker Hub repository, a different image.
func CanonicalHost(host string) string {
	host = strings.ToLower(host)
	for _, port := range []string{":443", ":80"} {
		if bare, ok := strings.CutSuffix(host, port); ok && (strings.ContainsAny(bare, ".:") || bare == "localhost") {
			return bare
		}
	}
	return host
}

// PublicRegistryHosts lists the well-known public registries by host name:
// the ones the catch-all mirror stands in for when a node must be told
// about each source by name. Wildcard entries ("*.pkg.dev") and Docker
// Hub's legacy alias index.docker.io (references normalize it to docker.io)
// are left out.
func PublicRegistryHosts() []string {
	var hosts []string
	for _, public := range publicRegistries() {
		if !strings.HasPrefix(public, "*") && public != "index.docker.io" {
			hosts = append(hosts, public)
		}
	}
	return hosts
}
