package rewrite

import (
	"bytes"
	"strings"
	"testing"
)

// TestNothingLost pins exact output bytes: only image values and pull
// secrets change; quoting, comments, "# Source:" lines, Helm 4's
// postrender-filename annotation, key order, markers and line endings stay.
func TestNothingLost(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"quoting styles", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers:
    - name: plain
      image: nginx:1.25
    - name: single
      image: 'nginx:1.25'
    - name: double
      image: "nginx:1.25"
    - {name: flow, image: "nginx:1.25"}
    - name: comment
      image: nginx:1.25 # pinned by ops
`, `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers:
    - name: plain
      image: registry.internal.example.com/mirror/library/nginx:1.25
    - name: single
      image: 'registry.internal.example.com/mirror/library/nginx:1.25'
    - name: double
      image: "registry.internal.example.com/mirror/library/nginx:1.25"
    - {name: flow, image: "registry.internal.example.com/mirror/library/nginx:1.25"}
    - name: comment
      image: registry.internal.example.com/mirror/library/nginx:1.25 # pinned by ops
`},
		{"comments, Source lines and Helm 4 annotations", `---
# Source: platform/charts/mongodb/templates/statefulset.yaml
# a second comment
apiVersion: apps/v1
kind: StatefulSet   # trailing comment
metadata:
  name: mongodb
  annotations:
    postrenderer.helm.sh/postrender-filename: platform/charts/mongodb/templates/statefulset.yaml
    helm.sh/hook: pre-install
spec:
  # the pod template
  template:
    spec:
      containers:
        # the database
        - name: mongodb
          image: europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/mongo-seed-data:2.0   # seed
          env:
            - name: Z_LAST
              value: "1"
            - name: A_FIRST
              value: "2"
`, `---
# Source: platform/charts/mongodb/templates/statefulset.yaml
# a second comment
apiVersion: apps/v1
kind: StatefulSet   # trailing comment
metadata:
  name: mongodb
  annotations:
    postrenderer.helm.sh/postrender-filename: platform/charts/mongodb/templates/statefulset.yaml
    helm.sh/hook: pre-install
spec:
  # the pod template
  template:
    spec:
      imagePullSecrets:
        - name: my-registry-secret
      containers:
        # the database
        - name: mongodb
          image: registry.internal.example.com/plexicus/standalone/mongo-seed-data:2.0   # seed
          env:
            - name: Z_LAST
              value: "1"
            - name: A_FIRST
              value: "2"
`},
		{"documents, markers and order", `# Source: chart/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
--- # a comment on the marker
# Source: chart/templates/b.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
---
# Source: chart/templates/empty.yaml
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {k: v}`, `# Source: chart/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
--- # a comment on the marker
# Source: chart/templates/b.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
---
# Source: chart/templates/empty.yaml
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {k: v}`},
		{"CRLF line endings", "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n    - name: a\r\n      image: \"nginx\"\r\n---\r\nkind: ConfigMap\r\n",
			"apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  imagePullSecrets:\r\n    - name: my-registry-secret\r\n  containers:\r\n    - name: a\r\n      image: \"registry.internal.example.com/mirror/library/nginx\"\r\n---\r\nkind: ConfigMap\r\n"},
		{"UTF-8 before the image", `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {description: "überprüft — ✓"}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers: [{name: "ä", image: "nginx"}]
`, `apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {description: "überprüft — ✓"}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers: [{name: "ä", image: "registry.internal.example.com/mirror/library/nginx"}]
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, report := rewriteOK(t, testConfig, tt.input)
			if out != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", out, tt.want)
			}
			if report.ReEncoded != 0 {
				t.Errorf("%d document(s) re-encoded; these edits all splice", report.ReEncoded)
			}
		})
	}
}

// TestReEncodeFallback: values the splicer cannot place byte-exactly (block
// scalars, escapes) make the document re-encoded from its tree. The result
// must still carry the rewrite, the comments and the other values.
func TestReEncodeFallback(t *testing.T) {
	input := `---
# Source: chart/templates/odd.yaml
apiVersion: v1
kind: Pod
metadata:
  name: odd
  annotations:
    postrenderer.helm.sh/postrender-filename: chart/templates/odd.yaml
spec:
  containers:
    # block scalar
    - name: block
      image: >-
        quay.io/org/block:1
    - name: escaped
      image: "quay.io/org/esc\u0061ped:1"
    - name: multi
      image: "quay.io/org/multi:1"
      args: ["--x-image=quay.io/org/x:1", "plain"]
`
	out, report := rewriteOK(t, testConfig, input)
	if report.ReEncoded != 1 {
		t.Fatalf("ReEncoded = %d, want the document re-encoded", report.ReEncoded)
	}
	for _, want := range []string{
		"---\n# Source: chart/templates/odd.yaml\n",
		"postrenderer.helm.sh/postrender-filename: chart/templates/odd.yaml",
		"# block scalar",
		mirror + "/org/block:1",
		mirror + "/org/escaped:1",
		`"` + mirror + `/org/multi:1"`,
		"--x-image=" + mirror + "/org/x:1",
		"- name: my-registry-secret",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("re-encoded output lacks %q:\n%s", want, out)
		}
	}
	assertSameExceptImages(t, input, out)
}

// TestReEncodeKeepsCRLF: a re-encoded document in a CRLF stream keeps CRLF
// line endings, like the spliced ones around it.
func TestReEncodeKeepsCRLF(t *testing.T) {
	input := "kind: ConfigMap\r\nmetadata: {name: a}\r\n---\r\nkind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n    - name: a\r\n      image: >-\r\n        nginx\r\n"
	out, report := rewriteOK(t, testConfig, input)
	if report.ReEncoded != 1 {
		t.Fatalf("ReEncoded = %d, want 1", report.ReEncoded)
	}
	if strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Fatalf("bare LF line endings in a CRLF stream: %q", out)
	}
	if !strings.Contains(out, mirror+"/library/nginx\r\n") {
		t.Fatalf("image not rewritten: %q", out)
	}
}

func TestHookDocumentsTreatedAlike(t *testing.T) {
	doc := func(hook string) string {
		return `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:` + hook + `
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: europe-west3-docker.pkg.dev/plexicus-registry/platform/migrations:1.0
`
	}
	plain, _ := rewriteOK(t, testConfig, doc(" {}"))
	hooked, _ := rewriteOK(t, testConfig, doc("\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-delete-policy: before-hook-creation"))
	want := "image: registry.internal.example.com/plexicus/migrations:1.0"
	if !strings.Contains(plain, want) || !strings.Contains(hooked, want) || !strings.Contains(hooked, "- name: my-registry-secret") {
		t.Fatalf("a hook Job must be rewritten like any Job:\n%s\n---\n%s", plain, hooked)
	}
	if strings.Replace(hooked, "\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-delete-policy: before-hook-creation", " {}", 1) != plain {
		t.Fatal("the hook annotation changed how the document was rewritten")
	}
}

func TestIdempotentAcrossWorkersAndChunks(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 60; i++ {
		b.WriteString("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: \"quay.io/org/app:1\"\n")
		b.WriteString("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n")
	}
	input := b.String()
	opts := engineOptions(t, testConfig)
	var outs []string
	for _, o := range []struct{ workers, memory int }{{1, 0}, {2, 0}, {8, 0}, {3, 100}} {
		opts.Workers, opts.MemoryLimit = o.workers, o.memory
		var out bytes.Buffer
		report, err := Run(strings.NewReader(input), &out, opts)
		if err != nil {
			t.Fatal(err)
		}
		if report.Documents != 120 || report.Rewritten != 60 || report.OutputBytes != int64(out.Len()) {
			t.Fatalf("workers %d: report %+v", o.workers, report)
		}
		outs = append(outs, out.String())
	}
	for i := range outs {
		if outs[i] != outs[0] {
			t.Fatalf("output %d differs: the worker count or the spool changed the bytes", i)
		}
	}
	rewriteOK(t, testConfig, input)
}
