package reference

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	distref "github.com/distribution/reference"
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

func FuzzParse(f *testing.F) {
	seedRefs(f)
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := Parse(s)
		if err != nil {
			return
		}
		if ref.Written != s || !strings.HasSuffix(s, ref.Suffix) {
			t.Fatalf("Parse(%q) = %+v: the reference and its tag/digest must be kept as written", s, ref)
		}
		if ref.Domain != strings.ToLower(ref.Domain) || ref.Domain == "" || ref.Path == "" {
			t.Fatalf("Parse(%q) = %+v: want a lower-case domain and a path", s, ref)
		}
		named, err := distref.ParseNamed(ref.Repository())
		if err != nil || named.Name() != ref.Repository() {
			t.Fatalf("Repository %q of %q is not canonical: %v", ref.Repository(), s, err)
		}
		again, err := Parse(ref.Repository() + ref.Suffix)
		if err != nil || again.Repository() != ref.Repository() || again.Suffix != ref.Suffix {
			t.Fatalf("the normalized form of %q does not parse back to itself: %+v, %v", s, again, err)
		}
	})
}
