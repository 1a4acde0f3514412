package nodeconfig

import (
	"strings"
	"testing"
)

// TestRegistryFlag: --registry takes a host, not an internal one, and only
// when something covers it.
func TestRegistryFlag(t *testing.T) {
	cfg, m := compileCase(t, "mirror: registry.internal.example.com/mirror\nallow: [harbor.internal.example.com]\n")
	for _, tc := range []struct{ host, err string }{
		{"registry.example.org:5000", ""},
		{"localhost:5000", ""},
		{"Registry.Example.org", ""},
		{"index.docker.io", "Docker Hub is docker.io"},
		{"myregistry", "want a registry host name"},
		{"quay.io/team", "want a registry host name"},
		{"", "want a registry host name"},
		{"harbor.internal.example.com", "internal registry"},
	} {
		_, err := Generate(cfg, m, Options{Runtime: "crio", Registries: []string{tc.host}})
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("--registry %q: %v; want %q", tc.host, err, tc.err)
		}
	}
	cfg, m = compileCase(t, "rules: [{from: quay.io, to: registry.internal.example.com/quay}]\n")
	if _, err := Generate(cfg, m, Options{Runtime: "crio", Registries: []string{"ghcr.io"}}); err == nil || !strings.Contains(err.Error(), "no rule covers it") {
		t.Errorf("--registry ghcr.io without a mirror: %v", err)
	}
}
