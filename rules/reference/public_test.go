package reference

import (
	"strings"
	"testing"
)

func TestIsPublicRegistry(t *testing.T) {
	for domain, want := range map[string]bool{
		"docker.io":                     true,
		"Docker.IO":                     true,
		"index.docker.io":               true,
		"quay.io":                       true,
		"europe-west3-docker.pkg.dev":   true,
		"eu.gcr.io":                     true,
		"registry.internal.example.com": false,
		"docker.io.evil.example":        false,
		"pkg.dev.internal.example":      false,
		// A default port is the same registry (issue 23).
		"quay.io:443":        true,
		"QUAY.io:80":         true,
		"eu.gcr.io:443":      true,
		"quay.io:8443":       false, // another server
		"lscr.io":            true,
		"registry.k8s.io":    true,
		"public.ecr.aws":     true,
		"cgr.dev:443":        true,
		"registry.redhat.io": true,
	} {
		if got := IsPublicRegistry(domain); got != want {
			t.Errorf("IsPublicRegistry(%q) = %v, want %v", domain, got, want)
		}
	}
}

// TestPublicListLoads: public.txt, the list of public registries kept as
// data, parses to canonical hosts (lower case, no default port, a "*."
// wildcard or a registry host), none twice, and holds the hosts a probe
// found missing.
func TestPublicListLoads(t *testing.T) {
	hosts := parsePublicList(publicList)
	if len(hosts) < 20 {
		t.Fatalf("public.txt holds %d hosts: %q", len(hosts), hosts)
	}
	seen := map[string]bool{}
	for _, host := range hosts {
		bare := strings.TrimPrefix(host, "*.")
		if seen[host] || !IsDomain(bare) || CanonicalHost(bare) != bare || strings.ContainsAny(bare, "* \t") {
			t.Errorf("public.txt: %q is not a canonical host named once", host)
		}
		if _, err := ParsePrefix(bare); err != nil {
			t.Errorf("public.txt: %q: %v", host, err)
		}
		seen[host] = true
	}
	for _, host := range []string{"lscr.io", "ghcr.io", "gcr.io", "*.pkg.dev", "registry.k8s.io", "k8s.gcr.io", "quay.io", "docker.io",
		"registry-1.docker.io", "public.ecr.aws", "mcr.microsoft.com", "nvcr.io", "registry.gitlab.com", "cgr.dev", "docker.elastic.co",
		"registry.access.redhat.com", "registry.redhat.io", "icr.io", "container-registry.oracle.com"} {
		if !seen[host] {
			t.Errorf("public.txt lacks %s", host)
		}
	}
}

func TestCanonicalHost(t *testing.T) {
	for in, want := range map[string]string{
		"quay.io":         "quay.io",
		"Quay.IO:443":     "quay.io",
		"registry.x:80":   "registry.x",
		"registry.x:8080": "registry.x:8080",
		"registry.x:4430": "registry.x:4430",
		"localhost:443":   "localhost",
		"[::1]:443":       "[::1]",
		"myreg:443":       "myreg:443", // "myreg/app" would be a Docker Hub image
		"registry.x:5000": "registry.x:5000",
	} {
		if got := CanonicalHost(in); got != want {
			t.Errorf("CanonicalHost(%q) = %q, want %q", in, got, want)
		}
	}
}
