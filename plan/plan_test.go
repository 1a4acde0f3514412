package plan

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
)

var update = flag.Bool("update", false, "rewrite golden files")

const testConfig = `
mirror: registry.internal.example.com/mirror
rules:
  - from: quay.io/jetstack
    to: registry.internal.example.com/jetstack
allow: [registry.internal.example.com]
`

func engineOptions(t testing.TB, cfgText string) rewrite.Options {
	t.Helper()
	cfg, err := config.Parse([]byte(cfgText), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return rewrite.Options{Mapper: m, Catalogue: cfg.Catalogue()}
}

func build(t *testing.T, cfgText, manifests string, origins bool) (*Plan, error) {
	t.Helper()
	p, _, err := Build(strings.NewReader(manifests), engineOptions(t, cfgText), origins)
	return p, err
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name, manifests string
		want            string // plain output with origins
	}{
		{
			name: "deduplicated across resources and spellings, sorted, internal last",
			manifests: `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  template:
    spec:
      initContainers:
        - {name: init, image: "busybox:1.36"}
      containers:
        - {name: web, image: "nginx:1.25"}
        - {name: cache, image: registry.internal.example.com/cache/redis:7}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      containers:
        - {name: migrate, image: docker.io/library/nginx:1.25}
`,
			want: `docker.io/library/busybox:1.36 registry.internal.example.com/mirror/library/busybox:1.36
#   Deployment demo/web: container init (spec.template.spec.initContainers[0].image)
docker.io/library/nginx:1.25 registry.internal.example.com/mirror/library/nginx:1.25
#   Deployment demo/web: container web (spec.template.spec.containers[0].image)
#   Job migrate: container migrate (spec.template.spec.containers[0].image)
# internal, not copied: registry.internal.example.com/cache/redis:7
#   Deployment demo/web: container cache (spec.template.spec.containers[1].image)
`,
		},
		{
			name: "args and env references, rules, tag@digest kept whole",
			manifests: `apiVersion: apps/v1
kind: Deployment
metadata: {name: cert-manager, namespace: cm}
spec:
  template:
    spec:
      containers:
        - name: controller
          image: quay.io/jetstack/cert-manager-controller:v1.21.1@sha256:0000000000000000000000000000000000000000000000000000000000000001
          args: ["--acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.21.1"]
          env:
            - {name: SIDECAR_IMAGE, value: "ghcr.io/example/sidecar:2"}
`,
			want: `ghcr.io/example/sidecar:2 registry.internal.example.com/mirror/example/sidecar:2
#   Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].env[0].value)
quay.io/jetstack/cert-manager-acmesolver:v1.21.1 registry.internal.example.com/jetstack/cert-manager-acmesolver:v1.21.1
#   Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].args[0])
quay.io/jetstack/cert-manager-controller:v1.21.1@sha256:0000000000000000000000000000000000000000000000000000000000000001 registry.internal.example.com/jetstack/cert-manager-controller:v1.21.1@sha256:0000000000000000000000000000000000000000000000000000000000000001
#   Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].image)
`,
		},
		{name: "no images", manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {note: 'nginx:1'}\n", want: ""},
		{name: "empty input", manifests: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := build(t, testConfig, tt.manifests, true)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := Write(&b, p, Plain); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
			withoutOrigins, err := build(t, testConfig, tt.manifests, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, img := range withoutOrigins.Images {
				if len(img.Origins) > 0 {
					t.Errorf("%s has origins without --why", img.Source)
				}
			}
		})
	}
}

func TestBuildFailures(t *testing.T) {
	tests := []struct {
		name, config, manifests string
		policy                  bool     // a *rewrite.PolicyError, else an input error
		offenders               []string // for a policy error
	}{
		{
			name:   "no destination for a public image",
			config: "rules: [{from: quay.io, to: registry.internal.example.com/quay}]\n",
			manifests: `kind: Pod
apiVersion: v1
metadata: {name: p}
spec:
  containers:
    - {name: a, image: quay.io/x/a:1}
    - {name: b, image: ghcr.io/x/b:1}
`,
			policy: true, offenders: []string{"ghcr.io/x/b:1"},
		},
		{
			name:   "collision",
			config: "rules: [{from: quay.io/a, to: registry.internal.example.com/same}, {from: ghcr.io/b, to: registry.internal.example.com/same}]\n",
			manifests: `kind: Pod
apiVersion: v1
metadata: {name: p}
spec:
  containers:
    - {name: a, image: quay.io/a/x:1}
    - {name: b, image: ghcr.io/b/x:1}
`,
			policy: true,
		},
		{
			name:      "invalid reference",
			config:    testConfig,
			manifests: "kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: 'Bad/Upper:1'}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := build(t, tt.config, tt.manifests, false)
			if err == nil {
				t.Fatalf("no error; plan %+v", p)
			}
			var policy *rewrite.PolicyError
			if errors.As(err, &policy) != tt.policy {
				t.Fatalf("error %T %v; policy error wanted: %v", err, err, tt.policy)
			}
			if !tt.policy {
				return
			}
			var got []string
			for _, o := range policy.Report.Offenders {
				got = append(got, o.Mapping.Source.Written)
			}
			if strings.Join(got, ",") != strings.Join(tt.offenders, ",") {
				t.Errorf("offenders %v, want only the unmapped %v", got, tt.offenders)
			}
		})
	}
}

func TestCopyReferences(t *testing.T) {
	const d = "sha256:0000000000000000000000000000000000000000000000000000000000000001"
	tests := []struct {
		src, dst                  string
		copySrc, copyDst, pullDst string
		digest                    string
	}{
		{"docker.io/library/nginx:1.25", "m.example/library/nginx:1.25", "docker.io/library/nginx:1.25", "m.example/library/nginx:1.25", "m.example/library/nginx:1.25", ""},
		{"quay.io/a/b:1@" + d, "m.example/a/b:1@" + d, "quay.io/a/b@" + d, "m.example/a/b:1", "m.example/a/b@" + d, d},
		{"quay.io/a/b@" + d, "m.example/a/b@" + d, "quay.io/a/b@" + d, "m.example/a/b@" + d, "m.example/a/b@" + d, d},
		{"quay.io/a/b", "m.example:5000/a/b", "quay.io/a/b", "m.example:5000/a/b", "m.example:5000/a/b", ""},
	}
	for _, tt := range tests {
		img := Image{Source: tt.src, Destination: tt.dst, Status: Copy}
		if got := img.CopySource(); got != tt.copySrc {
			t.Errorf("%s: CopySource %s, want %s", tt.src, got, tt.copySrc)
		}
		if got := img.CopyDestination(); got != tt.copyDst {
			t.Errorf("%s: CopyDestination %s, want %s", tt.dst, got, tt.copyDst)
		}
		if got := img.PullDestination(); got != tt.pullDst {
			t.Errorf("%s: PullDestination %s, want %s", tt.dst, got, tt.pullDst)
		}
		if got := img.Digest(); got != tt.digest {
			t.Errorf("%s: Digest %s, want %s", tt.src, got, tt.digest)
		}
	}
}

// TestFormats pins every output format of one plan in golden files
// (go test ./plan -run TestFormats -update rewrites them).
func TestFormats(t *testing.T) {
	data, err := os.ReadFile("testdata/formats/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			p, _, err := BuildFor(f, strings.NewReader(string(data)), engineOptions(t, testConfig), true)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := Write(&b, p, f); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "formats", string(f)+".golden"), b.String())
			if f == Plain || f == JSON {
				back, err := Read(strings.NewReader(b.String()), string(f))
				if err != nil {
					t.Fatalf("reading the %s form back: %v", f, err)
				}
				if f == JSON {
					assertSamePlan(t, back, p, true)
				} else {
					assertSamePlan(t, back, p, false)
				}
			}
		})
	}
}

func assertSamePlan(t *testing.T, got, want *Plan, origins bool) {
	t.Helper()
	if len(got.Images) != len(want.Images) {
		t.Fatalf("%d images, want %d", len(got.Images), len(want.Images))
	}
	for i := range want.Images {
		g, w := got.Images[i], want.Images[i]
		if g.Source != w.Source || g.Destination != w.Destination || g.Status != w.Status {
			t.Errorf("image %d: %+v, want %+v", i, g, w)
		}
		if origins && len(g.Origins) != len(w.Origins) {
			t.Errorf("image %d: %d origins, want %d", i, len(g.Origins), len(w.Origins))
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestScriptCommentsCannotInjectCommands(t *testing.T) {
	p := &Plan{Images: []Image{{
		Source: "docker.io/library/nginx:1", Destination: "m.example/library/nginx:1", Status: Copy,
		Origins: []Origin{{Kind: "Pod", Name: "x\nrm -rf /\n", Container: "c\r\u2028evil", Field: "spec.containers[0].image"}},
	}}}
	for _, f := range []Format{Plain, Crane, Skopeo} {
		var b strings.Builder
		if err := Write(&b, p, f); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(b.String(), "\n") {
			if strings.Contains(line, "rm -rf") && !strings.HasPrefix(line, "#") {
				t.Errorf("%s: a resource name became a command line: %q", f, line)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Plain, "text": Plain, "plain": Plain, "json": JSON, "crane": Crane, "skopeo": Skopeo} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "crane") {
		t.Errorf("ParseFormat(yaml): %v; want an error listing the formats", err)
	}
}
