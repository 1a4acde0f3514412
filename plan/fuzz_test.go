package plan

import (
	"strings"
	"testing"
)

// FuzzRead: reading never panics, and whatever reads writes back (plain and
// JSON) into a plan that reads again to the same images.
func FuzzRead(f *testing.F) {
	f.Add("docker.io/library/nginx:1.25 m.example/library/nginx:1.25\n")
	f.Add("# internal, not copied: m.example/x:1\n#   Pod p: container c (spec.containers[0].image)\nquay.io/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000001 m.example/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000001\n")
	f.Add(`{"apiVersion":"helm-airgap/v1","kind":"MirrorPlan","images":[{"source":"nginx","destination":"m.example/nginx","status":"copy"}]}`)
	f.Add(`{"images":[{"source":"a/b:1","destination":"a/b:1","status":"internal","origins":[{"kind":"Pod","name":"p","field":"f","document":1,"line":2}]}]}`)
	f.Add("nginx m.example/nginx\nnginx m.example/other\n")
	f.Add("a b c\n")
	f.Add("{")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Read(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for _, f := range []Format{Plain, JSON} {
			var b strings.Builder
			if err := Write(&b, p, f); err != nil {
				t.Fatalf("writing %s: %v", f, err)
			}
			back, err := Read(strings.NewReader(b.String()), string(f))
			if err != nil {
				t.Fatalf("the %s form of a plan that read does not read back: %v\n%s", f, err, b.String())
			}
			if len(back.Images) != len(p.Images) {
				t.Fatalf("%s round trip: %d images, want %d", f, len(back.Images), len(p.Images))
			}
			for i := range p.Images {
				if back.Images[i].Source != p.Images[i].Source || back.Images[i].Destination != p.Images[i].Destination || back.Images[i].Status != p.Images[i].Status {
					t.Fatalf("%s round trip changed image %d: %+v -> %+v", f, i, p.Images[i], back.Images[i])
				}
			}
		}
	})
}
