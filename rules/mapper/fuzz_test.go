package mapper_test

import (
	"encoding/json"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"os"
	"strings"
	"testing"
)

// seedRefs are the references of the corpus (testdata/corpus/images.json)
// and a few awkward shapes.
func seedRefs(f *testing.F) {
	for _, s := range []string{
		"nginx", "nginx:1.25", "library/nginx", "docker.io/nginx", "index.docker.io/library/nginx",
		"docker.io/bitnami/redis:7", "localhost:5000/a/b:c", "[::1]:5000/x:1",
		"registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1",
		"docker.io.evil.example/x", "europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/seed:1",
		"registry.internal.example.com/mirror/library/nginx", "{{ .Values.image }}", "", "Nginx", "a:b:c",
		"quay.io:443/x/y:1", "docker.io:443/nginx", "index.docker.io:80/x", "[::1]:443/x", "localhost:80/x", "myreg:443/x",
	} {
		f.Add(s)
	}
	data, err := os.ReadFile("../../testdata/corpus/images.json")
	if err != nil {
		return
	}
	var files map[string]struct{ Hits []struct{ Ref string } }
	if err := json.Unmarshal(data, &files); err != nil {
		f.Fatalf("reading images.json: %v", err)
	}
	for _, file := range files {
		for _, hit := range file.Hits {
			f.Add(hit.Ref)
		}
	}
}

func FuzzMap(f *testing.F) {
	seedRefs(f)
	withMirror := compile(f, issueConfig)
	rulesOnly := compile(f, "rules: [{from: docker.io, to: registry.internal.example.com/hub}, {from: quay.io/jetstack, to: registry.internal.example.com/js}]\nallow: [registry.internal.example.com]\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range []*mapper.Mapper{withMirror, rulesOnly} {
			got, err := m.Map(s)
			if err != nil {
				if _, perr := reference.Parse(s); perr == nil && !strings.Contains(err.Error(), "mapping image reference") {
					t.Fatalf("Map(%q) failed on a valid reference: %v", s, err)
				}
				continue
			}
			switch got.Status {
			case mapper.Internal, mapper.Unmapped:
				if got.Dest != s {
					t.Fatalf("Map(%q) changed a reference it did not rewrite: %q", s, got.Dest)
				}
				if got.Status == mapper.Unmapped && m.Mirror() != "" {
					t.Fatalf("Map(%q) left a reference unmapped with a mirror set", s)
				}
				continue
			case mapper.Rewritten:
			default:
				t.Fatalf("Map(%q): unknown status %v", s, got.Status)
			}
			dest, err := reference.Parse(got.Dest)
			if err != nil {
				t.Fatalf("Map(%q) = %q, which does not parse: %v", s, got.Dest, err)
			}
			if !m.IsInternal(dest.Domain) {
				t.Fatalf("Map(%q) = %q, which is not on an internal registry", s, got.Dest)
			}
			if dest.Suffix != got.Source.Suffix || dest.Repository() != got.DestRepo {
				t.Fatalf("Map(%q) = %q: tag/digest %q or repository %q not kept", s, got.Dest, got.Source.Suffix, got.DestRepo)
			}
			again, err := m.Map(got.Dest)
			if err != nil || again.Status != mapper.Internal || again.Dest != got.Dest {
				t.Fatalf("Map is not idempotent: Map(%q) = %q, then %+v, %v", s, got.Dest, again, err)
			}
		}
	})
}
