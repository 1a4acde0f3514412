package rewrite

import (
	"errors"
	"strings"
	"testing"
)

// first is a valid document that goes before every bad one, so that errors
// must name the right document and line and must not leak it to the output.
const first = `# Source: chart/templates/ok.yaml
apiVersion: v1
kind: Pod
metadata: {name: ok}
spec:
  containers: [{name: a, image: nginx}]
`

const billionLaughs = `apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`

// TestBadInput: every bad document fails the whole run with an *InputError
// naming the document, its line and the resource, and nothing is written.
// Each bad document here carries an image (or a container list), so it is
// parsed on any path through the engine.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"malformed YAML", `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: a, image: nginx}
`, []string{"document 2 (line 7)", "invalid YAML", "line 11"}},
		{"bad indentation", `apiVersion: v1
kind: Pod
spec:
  containers:
    - name: a
     image: nginx
`, []string{"document 2 (line 7)", "invalid YAML", "line 11"}},
		{"duplicate key", `apiVersion: v1
kind: Pod
metadata: {name: dup, namespace: ns}
spec:
  containers:
    - name: a
      image: nginx
      image: quay.io/evil/miner:1
`, []string{"document 2 (line 7)", "Pod ns/dup", `duplicate key "image" at line 15 (first at line 14)`}},
		{"duplicate key in a big mapping", `apiVersion: v1
kind: Pod
metadata:
  name: dup
  labels: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10, k: 11, l: 12, m: 13, a: 14}
spec:
  containers: [{name: a, image: nginx}]
`, []string{"document 2 (line 7)", "Pod dup", `duplicate key "a" at line 12 (first at line 12)`}},
		{"duplicate top-level key", `apiVersion: v1
kind: Pod
metadata: {name: dup}
spec:
  containers: [{name: a, image: nginx}]
spec:
  containers: [{name: a, image: quay.io/evil/miner:1}]
`, []string{"document 2 (line 7)", "Pod dup", `duplicate key "spec" at line 13 (first at line 11)`}},
		{"duplicate key at the top of a List", `apiVersion: v1
kind: List
metadata: {name: all}
items:
  - kind: Pod
    metadata: {name: item}
    spec: {containers: [{name: a, image: nginx}]}
metadata: {name: again}
`, []string{"document 2 (line 7)", "List again", `duplicate key "metadata" at line 15 (first at line 10)`}}, // named as Kubernetes reads it: the last key wins
		{"alias bomb", billionLaughs + "spec:\n  containers: [{name: a, image: nginx}]\n",
			[]string{"document 2 (line 7)", "ConfigMap lol", "alias bomb"}},
		{"scalar document naming an image", "\"image: nginx\"\n",
			[]string{"document 2 (line 7)", "expected a Kubernetes object (a mapping)", `the scalar "image: nginx"`}},
		{"sequence document", `- apiVersion: v1
  kind: Pod
  spec:
    containers: [{name: a, image: nginx}]
`, []string{"document 2 (line 7)", "expected a Kubernetes object", "a sequence"}},
		{"upper-case reference", `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers:
    - name: web
      image: Nginx:1.25
`, []string{"document 2 (line 7)", "Pod ns/p", "container web", "spec.containers[0].image", `"Nginx:1.25"`, "lowercase"}},
		{"empty reference", `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: web
          image: ""
`, []string{"document 2 (line 7)", "Deployment d", "container web", "spec.template.spec.containers[0].image", `""`, "empty"}},
		{"template leftovers", `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: "{{ .Values.image }}"
`, []string{"document 2 (line 7)", "StatefulSet s", "container init", "spec.template.spec.initContainers[0].image", `"{{ .Values.image }}"`, "unrendered template"}},
		{"template leftovers in a custom field", `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: p}
spec:
  image: "{{ .Values.prometheus.image }}"
`, []string{"document 2 (line 7)", "Prometheus p", "spec.image", "unrendered template"}},
		{"invalid volume image", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a, image: nginx}]
  volumes:
    - name: data
      image: {reference: "quay.io/UPPER:1"}
`, []string{"document 2 (line 7)", "Pod p", "volume data", "spec.volumes[0].image.reference", "quay.io/UPPER:1"}},
		{"non-string image", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: 1.5
`, []string{"document 2 (line 7)", "Pod p", "container a", "must be a string", "line 14"}},
		{"unquoted template parsed as a mapping", `apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      containers:
        - name: a
          image: {{ .Values.image }}
`, []string{"Deployment d", "container a", "must be a string", "a mapping"}},
		{"image as a list", "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: [nginx]\n",
			[]string{"Pod p", "container a", "must be a string", "a sequence"}},
		{"null image in a pod template", "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: null\n",
			[]string{"Pod p", "container a", "must be a string"}},
		{"catalogued field holding a mapping", "apiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: p}\nspec:\n  image: {repository: x}\n",
			[]string{"Prometheus p", "spec.image", "must be a string"}},
		{"content after the end marker", `apiVersion: v1
kind: Pod
spec:
  containers: [{name: a, image: nginx}]
...
kind: Pod
`, []string{"document 2 (line 7)", "after the document end marker"}},
	}
	opts := engineOptions(t, testConfig)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, workers := range []int{1, 4} {
				opts.Workers = workers
				out, report, err := runOpts(t, opts, first+"---\n"+tt.doc)
				if err == nil {
					t.Fatalf("accepted bad input; output:\n%s", out)
				}
				if report != nil {
					t.Errorf("an input error returned a report: %+v", report)
				}
				inputError(t, err, tt.want...)
			}
		})
	}
}

func TestDocumentTooLarge(t *testing.T) {
	opts := engineOptions(t, testConfig)
	opts.MaxDocumentSize = 1000
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: " + strings.Repeat("a", 2000) + "\n"
	_, _, err := runOpts(t, opts, first+"---\n"+big)
	inputError(t, err, "document 2 (line 7)", "limit")
	// A long line alone also trips the limit, without being held whole.
	_, _, err = runOpts(t, opts, first+"---\n"+"x: "+strings.Repeat("a", 300<<10)+"\n")
	inputError(t, err, "document 2 (line 7)", "limit")
	// A stream of small documents is not limited.
	small := strings.Repeat("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: small}\n", 100)
	if _, _, err := runOpts(t, opts, small); err != nil {
		t.Fatalf("documents under the limit: %v", err)
	}
}

func TestEmptyAndBlankInput(t *testing.T) {
	tests := []struct {
		name, input string
		docs        int
	}{
		{"empty", "", 0},
		{"one newline", "\n", 0},
		{"whitespace only", "  \n\t\n", 0},
		{"comment only", "# nothing rendered\n", 0},
		{"markers only", "---\n---\n", 0},
		{"comments between markers", "---\n# Source: chart/templates/empty.yaml\n---\n# Source: chart/templates/other.yaml\n", 0},
		{"empty documents around one", "---\n---\nkind: ConfigMap\nmetadata: {name: a}\n---\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, report := rewriteOK(t, testConfig, tt.input)
			if tt.input != "" && out == "" {
				t.Fatal("non-empty input gave empty output")
			}
			if tt.docs == 0 && out != tt.input {
				t.Fatalf("output %q, want the input %q unchanged", out, tt.input)
			}
			if tt.docs > 0 && len(decodeAll(t, out)) != tt.docs {
				t.Fatalf("output holds %d objects, want %d", len(decodeAll(t, out)), tt.docs)
			}
			if report.InputBytes != int64(len(tt.input)) {
				t.Errorf("InputBytes = %d, want %d", report.InputBytes, len(tt.input))
			}
		})
	}
}

// TestPolicyFailures: references left public or colliding fail the run
// with a *PolicyError carrying the report, and nothing is written.
func TestPolicyFailures(t *testing.T) {
	noMirror := `
rules:
  - from: docker.io/bitnami
    to: registry.internal.example.com/bitnami
allow: [registry.internal.example.com]
`
	input := first + `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  template:
    spec:
      containers:
        - name: app
          image: docker.io/bitnami/redis:7
          args: ["--sidecar-image=quay.io/org/sidecar:1"]
        - name: other
          image: ghcr.io/org/other:2
`
	var out recorder
	report, err := Run(strings.NewReader(input), &out, engineOptions(t, noMirror))
	var policy *PolicyError
	if !errors.As(err, &policy) {
		t.Fatalf("err = %v, want a *PolicyError", err)
	}
	if out.writes != 0 {
		t.Fatal("a policy failure wrote output")
	}
	if report == nil || policy.Report != report {
		t.Fatal("the policy error must carry the run's report")
	}
	var got []string
	for _, o := range report.Offenders {
		got = append(got, o.describe())
	}
	want := []string{
		"Pod ok: container a (spec.containers[0].image): nginx",
		"Deployment prod/web: container app (spec.template.spec.containers[0].args[0]): quay.io/org/sidecar:1",
		"Deployment prod/web: container other (spec.template.spec.containers[1].image): ghcr.io/org/other:2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("offenders:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !strings.Contains(err.Error(), "3 image reference(s)") {
		t.Errorf("error %q does not count the offenders", err)
	}
}

func TestCollisionFails(t *testing.T) {
	input := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - {name: a, image: "docker.io/bitnami/redis:7"}
    - {name: b, image: "quay.io/bitnami/redis:7"}
`
	var out recorder
	report, err := Run(strings.NewReader(input), &out, engineOptions(t, testConfig))
	var policy *PolicyError
	if !errors.As(err, &policy) || out.writes != 0 {
		t.Fatalf("err = %v, writes = %d; want a policy error and no output", err, out.writes)
	}
	if len(report.Collisions) != 1 || !strings.Contains(report.Collisions[0].String(), "docker.io/bitnami/redis and quay.io/bitnami/redis") {
		t.Fatalf("collisions = %v, want both sources named", report.Collisions)
	}
	if !strings.Contains(err.Error(), "1 destination collision") {
		t.Errorf("error %q does not mention the collision", err)
	}
}

func TestCheckOnly(t *testing.T) {
	opts := engineOptions(t, testConfig)
	opts.CheckOnly = true
	input := first + "---\n" + `apiVersion: v1
kind: Pod
metadata: {name: internal}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers: [{name: a, image: registry.internal.example.com/mirror/library/nginx}]
`
	var out recorder
	report, err := Run(strings.NewReader(input), &out, opts)
	var policy *PolicyError
	if !errors.As(err, &policy) || out.writes != 0 {
		t.Fatalf("err = %v, writes %d: check must fail on an image the config would rewrite, and write nothing", err, out.writes)
	}
	if len(report.Offenders) != 1 || report.Offenders[0].Mapping.Source.Written != "nginx" || report.Rewritten != 0 {
		t.Fatalf("report = %+v, want the one public image and nothing rewritten", report)
	}
	clean := "apiVersion: v1\nkind: Pod\nmetadata: {name: internal}\nspec:\n  containers: [{name: a, image: registry.internal.example.com/mirror/library/nginx}]\n"
	out.Reset()
	report, err = Run(strings.NewReader(clean), &out, opts)
	if err != nil || out.writes != 0 || report.References != 1 {
		t.Fatalf("check of clean input: %v, %d writes, report %+v", err, out.writes, report)
	}
}
