package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// The conformance test (issue 11): the same configs and the same input
// through every entry point must give the same verdict, the same exit code
// class, the same offenders and, on success, the same manifests.

// conformanceTemplates are the input, one manifest per chart template (a
// chart whose templates are plain manifests renders them as they are). The
// Job is a hook: Helm 3 keeps hooks from its post-renderer.
var conformanceTemplates = map[string]string{
	"deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: docker.io/library/nginx:1.27
          env:
            - name: SENTRY_DSN
              value: https://abc@o1.ingest.sentry.io/1
        - name: cache
          image: quay.io/org/cache:3
`,
	"hook.yaml": `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-install
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: ghcr.io/org/migrate:1
`,
	"ingress.yaml": `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
spec:
  rules:
    - host: web.internal.example.com
`,
}

const conformanceMirror = "mirror: registry.internal.example.com/m\npullSecrets: [regcred]\n"

// conformanceCase is one config and input, and what every entry point must
// make of it.
type conformanceCase struct {
	name      string
	config    string
	templates map[string]string // replaces conformanceTemplates entries
	code      int               // the exit code class: 0, 1 (policy) or 2 (input)
	offenders []string          // "Kind name image", sorted
	stderr    string            // a phrase every failing entry point shows
	manifest  string            // a phrase the successful output holds
}

var conformanceCases = []conformanceCase{
	{name: "mirror only", config: conformanceMirror, code: 0, manifest: "registry.internal.example.com/m/org/migrate:1"},
	{name: "strict egress", config: conformanceMirror + "egress: {strict: true}\n", code: 1, stderr: "o1.ingest.sentry.io"},
	{name: "issuer", config: conformanceMirror + "issuer: {name: internal-ca}\n", code: 0, manifest: "cert-manager.io/cluster-issuer: internal-ca"},
	{name: "unmapped image", config: "rules:\n  - {from: docker.io, to: registry.internal.example.com/hub}\n", code: 1,
		offenders: []string{"Deployment web quay.io/org/cache:3", "Job migrate ghcr.io/org/migrate:1"}},
	{name: "collision", config: conformanceMirror + "rules:\n  - {from: quay.io/org/cache, to: registry.internal.example.com/m/library/nginx}\n", code: 1,
		stderr: "would both be mirrored to registry.internal.example.com/m/library/nginx"},
	{name: "malformed input", config: conformanceMirror, code: 2, stderr: "Not A Ref",
		templates: map[string]string{"hook.yaml": strings.Replace(conformanceTemplates["hook.yaml"], "ghcr.io/org/migrate:1", `"Not A Ref"`, 1)}},
}

// outcome is what one entry point made of a case.
type outcome struct {
	code      int
	helmCode  bool // the exit code is Helm's, which is 1 for any failure
	stdout    string
	stderr    string
	offenders []string
	manifests []string // normalized objects, sorted; nil when none were expected
}

// conformanceRun is one case laid out on disk.
type conformanceRun struct {
	t      *testing.T
	dir    string // airgap.yaml, chart/, in/, stream.yaml
	tc     conformanceCase
	stream string
	names  []string // template names, sorted
}

func newConformanceRun(t *testing.T, tc conformanceCase) *conformanceRun {
	r := &conformanceRun{t: t, dir: t.TempDir(), tc: tc}
	write(t, filepath.Join(r.dir, "airgap.yaml"), tc.config)
	write(t, filepath.Join(r.dir, "chart", "Chart.yaml"), "apiVersion: v2\nname: conformance\nversion: 0.1.0\n")
	for name := range conformanceTemplates {
		r.names = append(r.names, name)
	}
	sort.Strings(r.names)
	var stream strings.Builder
	for _, name := range r.names {
		text := conformanceTemplates[name]
		if v, ok := tc.templates[name]; ok {
			text = v
		}
		write(t, filepath.Join(r.dir, "chart", "templates", name), text)
		write(t, filepath.Join(r.dir, "in", name), text)
		stream.WriteString("---\n" + text)
	}
	r.stream = stream.String()
	return r
}

// entryPoint runs a case one way in.
type entryPoint struct {
	name string
	run  func(r *conformanceRun) outcome
}

func TestConformance(t *testing.T) {
	airgap := testtool.Command(t, "helm-airgap")
	testtool.Command(t, "helm-airgap-helm") // the companions, beside it
	testtool.Command(t, "helm-airgap-krm")
	helm4 := newHelm(t, 4)
	exec := func(r *conformanceRun, stdin string, env []string, name string, args ...string) outcome {
		cmd := exec.Command(name, args...)
		cmd.Dir = r.dir
		cmd.Env = append(helm4.Environ(), env...)
		cmd.Stdin = strings.NewReader(stdin)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		o := outcome{stdout: stdout.String(), stderr: stderr.String()}
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			o.code = exit.ExitCode()
		case err != nil:
			r.t.Fatal(err)
		}
		o.offenders = reportedOffenders(o.stderr)
		if o.code == 0 {
			o.manifests = normalize(r.t, o.stdout)
		}
		return o
	}
	entries := []entryPoint{
		{"rewrite, stdin", func(r *conformanceRun) outcome {
			return exec(r, r.stream, nil, airgap, "rewrite", "-c", "airgap.yaml")
		}},
		{"check", func(r *conformanceRun) outcome {
			// check reads what rewrite wrote: the same verdict on it.
			in := r.stream
			if ref := exec(r, r.stream, nil, airgap, "rewrite", "-c", "airgap.yaml"); ref.code == 0 {
				in = ref.stdout
			}
			o := exec(r, in, nil, airgap, "check", "-c", "airgap.yaml")
			o.manifests = normalize(r.t, in) // check writes nothing; it passes what it read
			if o.code != 0 {
				o.manifests = nil
			}
			return o
		}},
		{"rewrite -o", func(r *conformanceRun) outcome {
			o := exec(r, "", nil, airgap, "rewrite", "-c", "airgap.yaml", "-o", "out", "in")
			o.manifests = r.files(o, "out")
			return o
		}},
		{"rewrite --in-place", func(r *conformanceRun) outcome {
			o := exec(r, "", nil, airgap, "rewrite", "-c", "airgap.yaml", "--in-place", "in")
			o.manifests = r.files(o, "in")
			return o
		}},
		{"Argo CD plugin environment", func(r *conformanceRun) outcome {
			return exec(r, r.stream, []string{"ARGOCD_APP_NAME=conformance", "ARGOCD_ENV_HELM_AIRGAP_CONFIG=airgap.yaml"}, airgap, "rewrite")
		}},
		{"KRM function", func(r *conformanceRun) outcome {
			o := exec(r, r.resourceList(), nil, airgap, "fn")
			return r.krmOutcome(o)
		}},
		{"Helm 4 post-renderer", func(r *conformanceRun) outcome {
			o := exec(r, "", nil, helm4.Path, append([]string{"template", "conformance", "chart"}, postRender("airgap.yaml")...)...)
			o.helmCode = true
			return o
		}},
		{"helm-airgap template (Helm 3 SDK)", func(r *conformanceRun) outcome {
			return exec(r, "", nil, airgap, "template", "conformance", "chart", "-c", "airgap.yaml")
		}},
	}
	for _, tc := range conformanceCases {
		t.Run(tc.name, func(t *testing.T) {
			var reference []string
			for i, e := range entries {
				r := newConformanceRun(t, tc)
				o := e.run(r)
				if i == 0 {
					reference = o.manifests
				}
				checkOutcome(t, e.name, tc, o, reference)
			}
		})
	}
}

func checkOutcome(t *testing.T, entry string, tc conformanceCase, o outcome, reference []string) {
	t.Helper()
	t.Logf("%s: exit %d, offenders %q, %d manifest(s)", entry, o.code, o.offenders, len(o.manifests))
	switch {
	case tc.code == 0 && o.code != 0:
		t.Errorf("%s: exit %d, want success\nstderr:\n%s", entry, o.code, o.stderr)
		return
	case tc.code != 0 && o.code == 0:
		t.Errorf("%s: exit 0: it failed open\nstdout:\n%s", entry, o.stdout)
		return
	case tc.code != 0 && !o.helmCode && o.code != tc.code:
		t.Errorf("%s: exit %d, want %d\nstderr:\n%s", entry, o.code, tc.code, o.stderr)
	}
	if tc.code != 0 {
		if strings.TrimSpace(o.stdout) != "" && entry != "KRM function" {
			t.Errorf("%s: a failure wrote to stdout:\n%s", entry, o.stdout)
		}
		if len(o.manifests) > 0 {
			t.Errorf("%s: a failure left %d manifest(s) where manifests are expected", entry, len(o.manifests))
		}
		if strings.Join(o.offenders, "\n") != strings.Join(tc.offenders, "\n") && entry != "check" {
			t.Errorf("%s: offenders\n  %s\nwant\n  %s\nstderr:\n%s", entry, strings.Join(o.offenders, "\n  "), strings.Join(tc.offenders, "\n  "), o.stderr)
		}
		if tc.stderr != "" && !strings.Contains(o.stderr, tc.stderr) && entry != "check" {
			t.Errorf("%s: stderr lacks %q:\n%s", entry, tc.stderr, o.stderr)
		}
		return
	}
	if strings.Join(o.manifests, "\n") != strings.Join(reference, "\n") {
		t.Errorf("%s: the manifests differ from rewrite's:\n%s\nwant\n%s", entry, strings.Join(o.manifests, "\n"), strings.Join(reference, "\n"))
	}
	if !strings.Contains(strings.Join(o.manifests, "\n"), strings.ReplaceAll(tc.manifest, ": ", `":"`)) {
		t.Errorf("%s: the output lacks %q", entry, tc.manifest)
	}
}

// offenderLine is a line of the offender report: "    Kind name: ...: image".
var offenderLine = regexp.MustCompile(`(?m)^ {4}([A-Z]\w*) ([^\s:]+): .*: (\S+[^)\s])$`)

func reportedOffenders(stderr string) []string {
	seen := map[string]bool{}
	for _, m := range offenderLine.FindAllStringSubmatch(stderr, -1) {
		seen[m[1]+" "+m[2]+" "+m[3]] = true
	}
	return sortedKeys(seen)
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// normalize decodes a stream into its objects, with the annotations
// orchestrators add removed, as sorted JSON.
func normalize(t *testing.T, stream string) []string {
	t.Helper()
	var out []string
	dec := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("decoding the output: %v\n%s", err, stream)
		}
		if obj == nil {
			continue
		}
		if meta, ok := obj["metadata"].(map[string]any); ok {
			if ann, ok := meta["annotations"].(map[string]any); ok {
				for k := range ann {
					if strings.HasPrefix(k, "config.kubernetes.io/") || strings.HasPrefix(k, "internal.config.kubernetes.io/") || strings.HasPrefix(k, "postrenderer.helm.sh/") {
						delete(ann, k)
					}
				}
				if len(ann) == 0 {
					delete(meta, "annotations")
				}
			}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// files are the manifests of every file of the -o or --in-place output,
// or nil when the run failed (and the inputs must be untouched).
func (r *conformanceRun) files(o outcome, dir string) []string {
	if o.code != 0 {
		if dir == "in" {
			for _, name := range r.names {
				data, err := os.ReadFile(filepath.Join(r.dir, "in", name))
				if err != nil || string(data) != readFile(r.t, filepath.Join(r.dir, "chart", "templates", name)) {
					r.t.Errorf("--in-place: %s was changed by a failed run", name)
				}
			}
		} else if _, err := os.Stat(filepath.Join(r.dir, dir)); err == nil {
			r.t.Errorf("-o: a failed run created %s", dir)
		}
		return nil
	}
	var stream strings.Builder
	for _, name := range r.names {
		stream.WriteString("---\n" + readFile(r.t, filepath.Join(r.dir, dir, name)))
	}
	return normalize(r.t, stream.String())
}

// resourceList is the input as a KRM ResourceList, the config as its
// AirgapConfig functionConfig.
func (r *conformanceRun) resourceList() string {
	var items []any
	for _, m := range normalize(r.t, r.stream) {
		var obj any
		if err := json.Unmarshal([]byte(m), &obj); err != nil {
			r.t.Fatal(err)
		}
		items = append(items, obj)
	}
	var fc map[string]any
	if err := yaml.Unmarshal([]byte(r.tc.config), &fc); err != nil {
		r.t.Fatal(err)
	}
	fc["apiVersion"], fc["kind"], fc["metadata"] = "helm-airgap/v1", "AirgapConfig", map[string]any{"name": "airgap"}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": items, "functionConfig": fc})
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

// krmOutcome reads the ResourceList the function wrote: its items, and
// the offenders from its error results.
func (r *conformanceRun) krmOutcome(o outcome) outcome {
	var rl struct {
		Items   []any `yaml:"items"`
		Results []struct {
			Severity    string            `yaml:"severity"`
			ResourceRef map[string]string `yaml:"resourceRef"`
			Field       struct {
				CurrentValue string `yaml:"currentValue"`
			} `yaml:"field"`
		} `yaml:"results"`
	}
	if strings.TrimSpace(o.stdout) == "" && o.code == 2 && !strings.Contains(o.stderr, "ResourceList") {
		// an input error before the function ran: no ResourceList at all
	} else if err := yaml.Unmarshal([]byte(o.stdout), &rl); err != nil {
		r.t.Fatalf("KRM function: the output is not a ResourceList: %v\n%s", err, o.stdout)
	}
	var stream strings.Builder
	for _, item := range rl.Items {
		b, err := yaml.Marshal(item)
		if err != nil {
			r.t.Fatal(err)
		}
		stream.WriteString("---\n" + string(b))
	}
	o.manifests = normalize(r.t, stream.String())
	seen := map[string]bool{}
	for _, res := range rl.Results {
		if res.Severity == "error" && res.Field.CurrentValue != "" {
			seen[fmt.Sprintf("%s %s %s", res.ResourceRef["kind"], res.ResourceRef["name"], res.Field.CurrentValue)] = true
		}
	}
	o.offenders = sortedKeys(seen)
	return o
}
