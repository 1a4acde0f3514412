package config

import (
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func FuzzParseConfig(f *testing.F) {
	f.Add(issueConfig)
	f.Add("mirror: registry.internal.example.com/m\nallow: [a.example.com]\npullSecrets: [x]\n")
	f.Add("apiVersion: helm-airgap/v1\nimageFields:\n  - kind: Foo\n    path: spec.x[].image\n")
	f.Add("rules:\n  - from: index.docker.io\n    to: localhost:5000\n")
	f.Add("a: &a [*a]\n")
	configs, _ := filepath.Glob("../../testdata/*/config.yaml")
	more, _ := filepath.Glob("../../testdata/*/airgap.yaml")
	for _, path := range append(configs, more...) {
		if data, err := os.ReadFile(path); err == nil {
			f.Add(string(data))
		}
	}
	f.Fuzz(func(t *testing.T, data string) {
		cfg, err := Parse([]byte(data), "fuzz.yaml")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.yaml") {
				t.Fatalf("config error %q does not name the file", err)
			}
			return
		}
		m, err := cfg.Compile()
		if err != nil {
			return
		}
		for _, ref := range []string{"nginx:1", "quay.io/jetstack/x:v1", "ghcr.io/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000"} {
			got, err := m.Map(ref)
			if err != nil {
				if !strings.Contains(err.Error(), "mapping image reference") {
					t.Fatalf("Map(%q): %v", ref, err)
				}
				continue
			}
			if got.Status == mapper.Rewritten {
				dest, err := reference.Parse(got.Dest)
				if err != nil || !m.IsInternal(dest.Domain) {
					t.Fatalf("config %q maps %q to %q, not internal (%v)", data, ref, got.Dest, err)
				}
			}
		}
	})
}
