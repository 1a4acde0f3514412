package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// items is the input every case starts from: a Deployment with comments and
// the annotations kyaml adds when it reads files, a CronJob, and a Service
// with no image.
const items = `items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web # the web app
    namespace: prod
    annotations:
      config.kubernetes.io/path: apps/web.yaml
      config.kubernetes.io/index: '1'
      internal.config.kubernetes.io/path: apps/web.yaml
      internal.config.kubernetes.io/index: '1'
  spec:
    template:
      spec:
        initContainers:
        - name: seed
          image: quay.io/org/seed:1.0 # pinned
        containers:
        - name: web
          image: "nginx:1.27"
          args: ["--sidecar-image=docker.io/library/busybox:1.36"]
- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: cleanup
    namespace: prod
  spec:
    schedule: "0 3 * * *"
    jobTemplate:
      spec:
        template:
          spec:
            containers:
            - name: cleanup
              image: docker.io/bitnamilegacy/kubectl:1.33
- apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: prod
  spec:
    ports:
    - port: 80
`

func resourceList(functionConfig string) string {
	out := "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + items
	if functionConfig != "" {
		out += "functionConfig:\n" + indent(functionConfig, "  ")
	}
	return out
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return prefix + strings.Join(lines, prefix) + "\n"
}

const airgapConfig = `apiVersion: helm-airgap/v1
kind: AirgapConfig
metadata:
  name: airgap
rules:
  - from: docker.io/bitnamilegacy
    to: registry.internal.example.com/bitnami
  - from: quay.io
    to: registry.internal.example.com/quay
mirror: registry.internal.example.com/mirror
pullSecrets: [regcred]
`

// output is the part of a ResourceList the assertions look at.
type output struct {
	Items []struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name        string            `yaml:"name"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
	} `yaml:"items"`
	Results []struct {
		Message     string            `yaml:"message"`
		Severity    string            `yaml:"severity"`
		ResourceRef map[string]string `yaml:"resourceRef"`
		Field       struct {
			Path         string `yaml:"path"`
			CurrentValue string `yaml:"currentValue"`
		} `yaml:"field"`
		File struct {
			Path  string `yaml:"path"`
			Index int    `yaml:"index"`
		} `yaml:"file"`
	} `yaml:"results"`
}

func TestFunction(t *testing.T) {
	for _, tc := range []struct {
		name     string
		input    string
		args     []string
		env      map[string]string
		code     int
		contains []string // in stdout
		absent   []string // not in stdout
		stderr   string
		check    func(t *testing.T, out output)
	}{
		{
			name:  "airgap-config",
			input: resourceList(airgapConfig),
			contains: []string{
				"image: registry.internal.example.com/quay/org/seed:1.0 # pinned",
				`image: "registry.internal.example.com/mirror/library/nginx:1.27"`,
				`args: ["--sidecar-image=registry.internal.example.com/mirror/library/busybox:1.36"]`,
				"image: registry.internal.example.com/bitnami/kubectl:1.33",
				"name: web # the web app",
				"- name: regcred",
				"internal.config.kubernetes.io/path: apps/web.yaml",
			},
			check: func(t *testing.T, out output) {
				if len(out.Items) != 3 {
					t.Errorf("%d items, want 3", len(out.Items))
				}
				if len(out.Results) != 1 || out.Results[0].Severity != "info" || !strings.Contains(out.Results[0].Message, "4 rewritten") {
					t.Errorf("results %+v, want one info result counting 4 rewrites", out.Results)
				}
			},
		},
		{
			name:  "dispatched-by-helm-airgap",
			args:  []string{"fn"},
			input: resourceList(airgapConfig),
			contains: []string{
				"image: registry.internal.example.com/quay/org/seed:1.0 # pinned",
			},
		},
		{
			name: "configmap",
			input: resourceList(`apiVersion: v1
kind: ConfigMap
metadata:
  name: airgap
data:
  mirror: registry.internal.example.com/mirror
  rules: |
    quay.io=registry.internal.example.com/quay
    docker.io/bitnamilegacy=registry.internal.example.com/bitnami
  pullSecrets: regcred, other
  allow: registry.internal.example.com
`),
			contains: []string{
				"image: registry.internal.example.com/quay/org/seed:1.0 # pinned",
				"image: registry.internal.example.com/bitnami/kubectl:1.33",
				"- name: regcred\n        - name: other",
			},
		},
		{
			name: "configmap-with-config",
			input: resourceList(`apiVersion: v1
kind: ConfigMap
metadata:
  name: airgap
data:
  config: |
    rules:
      - from: quay.io
        to: registry.internal.example.com/quay
    pullSecrets: [regcred]
  mirror: registry.internal.example.com/m2
`),
			contains: []string{
				"image: registry.internal.example.com/quay/org/seed:1.0 # pinned",
				"image: registry.internal.example.com/m2/bitnamilegacy/kubectl:1.33",
				"- name: regcred",
			},
		},
		{
			name:  "config-from-environment",
			input: resourceList(""),
			env:   map[string]string{"HELM_AIRGAP_CONFIG": "testdata/airgap.yaml"},
			contains: []string{
				"image: registry.internal.example.com/quay/org/seed:1.0 # pinned",
			},
		},
		{
			name: "public-references",
			input: resourceList(`apiVersion: helm-airgap/v1
kind: AirgapConfig
metadata:
  name: airgap
rules:
  - from: docker.io
    to: registry.internal.example.com/hub
`),
			code:   1,
			absent: []string{"image: quay.io/org/seed", "image: registry.internal.example.com/hub", "regcred"},
			stderr: "[error] apps/v1/Deployment/prod/web spec.template.spec.initContainers[0].image: container seed: image quay.io/org/seed:1.0",
			check: func(t *testing.T, out output) {
				if len(out.Results) != 1 {
					t.Fatalf("results %+v, want one", out.Results)
				}
				r := out.Results[0]
				if r.Severity != "error" || r.ResourceRef["kind"] != "Deployment" || r.ResourceRef["name"] != "web" || r.ResourceRef["namespace"] != "prod" ||
					r.Field.Path != "spec.template.spec.initContainers[0].image" || r.Field.CurrentValue != "quay.io/org/seed:1.0" ||
					r.File.Path != "apps/web.yaml" || r.File.Index != 1 || !strings.Contains(r.Message, "add a rule {from: quay.io") {
					t.Errorf("result %+v", r)
				}
			},
		},
		{
			name: "collision-across-items",
			input: resourceList(`apiVersion: helm-airgap/v1
kind: AirgapConfig
metadata:
  name: airgap
rules:
  - from: quay.io/org/seed
    to: registry.internal.example.com/one
  - from: docker.io/bitnamilegacy/kubectl
    to: registry.internal.example.com/one
  - from: docker.io
    to: registry.internal.example.com/hub
`),
			code:   1,
			stderr: "destination collision",
			check: func(t *testing.T, out output) {
				if len(out.Results) != 1 || out.Results[0].ResourceRef["kind"] != "CronJob" {
					t.Errorf("results %+v, want one collision naming the CronJob", out.Results)
				}
			},
		},
		{
			name:   "unknown-key",
			input:  resourceList(strings.Replace(airgapConfig, "pullSecrets:", "pullSecret:", 1)),
			code:   2,
			stderr: "functionConfig AirgapConfig/airgap",
		},
		{
			name:   "public-mirror",
			input:  resourceList(strings.Replace(airgapConfig, "registry.internal.example.com/mirror", "docker.io/mirror", 1)),
			code:   2,
			stderr: "invalid configuration",
		},
		{
			name:   "unknown-kind",
			input:  resourceList("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"),
			code:   2,
			stderr: `functionConfig of kind "Widget"`,
		},
		{
			name:   "configmap-unknown-key",
			input:  resourceList("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  mirrors: x\n"),
			code:   2,
			stderr: `unknown data key(s) "mirrors"`,
		},
		{
			name:   "no-config",
			input:  resourceList(""),
			code:   2,
			stderr: "no functionConfig",
		},
		{
			name:   "invalid-image",
			input:  strings.Replace(resourceList(airgapConfig), `"nginx:1.27"`, `"Nginx:1.27"`, 1),
			code:   2,
			stderr: "Nginx:1.27",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HELM_AIRGAP_CONFIG", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(tc.input), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr.String())
			}
			got := stdout.String()
			for _, want := range tc.contains {
				if !strings.Contains(got, want) {
					t.Errorf("output lacks %q", want)
				}
			}
			for _, bad := range tc.absent {
				if strings.Contains(got, bad) {
					t.Errorf("output has %q", bad)
				}
			}
			var out output
			if err := yaml.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Fatalf("the output is not a ResourceList: %v\n%s", err, got)
			}
			if tc.code != 0 && len(out.Items) > 0 {
				t.Errorf("a failed run printed %d item(s); want a ResourceList of results and no items", len(out.Items))
			}
			if tc.check != nil {
				tc.check(t, out)
			}
			// Failures are checked by their parts above: their messages come
			// from the rules package, whose wording is not this test's.
			if tc.code == 0 {
				golden(t, filepath.Join("testdata", tc.name+".golden"), got)
			}
		})
	}
}

// golden compares against, or with -update writes, a golden file.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}

// TestFunctionIsIdempotent: running the function on its own output changes
// nothing.
func TestFunctionIsIdempotent(t *testing.T) {
	var first, second, stderr bytes.Buffer
	if code := run(nil, strings.NewReader(resourceList(airgapConfig)), &first, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if code := run(nil, bytes.NewReader(first.Bytes()), &second, &stderr); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr.String())
	}
	strip := func(s string) string { return s[:strings.Index(s, "results:")] }
	if strip(first.String()) != strip(second.String()) {
		t.Errorf("second run changed the items:\n%s\n---\n%s", first.String(), second.String())
	}
}

func TestStandalone(t *testing.T) {
	dir := t.TempDir()
	fn := filepath.Join(dir, "fn.yaml")
	res := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(fn, []byte(airgapConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(res, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: quay.io/a/b:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"fn", fn, res}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "image: registry.internal.example.com/quay/a/b:1") || strings.Contains(stdout.String(), "ResourceList") {
		t.Errorf("standalone output:\n%s", stdout.String())
	}
	// A failure (here an invalid reference): nothing on stdout, as every command.
	public := filepath.Join(dir, "public.yaml")
	if err := os.WriteFile(public, []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: \"Not A Ref\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	if code := run([]string{"fn", fn, res, public}, strings.NewReader(""), &stdout, &stderr); code != 2 || strings.TrimSpace(stdout.String()) != "" {
		t.Errorf("exit %d, stdout:\n%s\nwant exit 2 and nothing written", code, stdout.String())
	}
}

func FuzzLoadConfig(f *testing.F) {
	f.Add(airgapConfig)
	f.Add("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  rules: a=b,c=d\n  config: 'mirror: x.example.com'\n")
	f.Add("kind: ConfigMap\ndata: {pullSecrets: ',,', allow: ' '}\n")
	f.Add("kind: AirgapConfig\nmetadata: [1]\nrules: {}\n")
	f.Fuzz(func(t *testing.T, text string) {
		fc, err := kyaml.Parse(text)
		if err != nil {
			return
		}
		cfg, err := loadConfig(fc)
		if err != nil {
			return
		}
		if _, err := cfg.Compile(); err != nil {
			return
		}
	})
}

// FuzzFunction: whatever the ResourceList, the function exits 0, 1 or 2 and
// never panics; on success its output is a ResourceList again.
func FuzzFunction(f *testing.F) {
	f.Add(resourceList(airgapConfig))
	f.Add("kind: ResourceList\nitems:\n- kind: Pod\n  metadata: [1]\n  spec: {containers: [{image: nginx}]}\nfunctionConfig: {kind: ConfigMap, data: {mirror: r.example.com/m}}\n")
	f.Add("kind: ResourceList\nitems: [1, [2], {metadata: {annotations: {config.kubernetes.io/path: 3}}}]\n")
	f.Fuzz(func(t *testing.T, input string) {
		var stdout, stderr bytes.Buffer
		code := run(nil, strings.NewReader(input), &stdout, &stderr)
		if code < 0 || code > 2 {
			t.Fatalf("exit %d", code)
		}
		if code == 0 {
			var out output
			if err := yaml.Unmarshal(stdout.Bytes(), &out); err != nil {
				t.Errorf("the output does not parse: %v", err)
			}
		}
	})
}
