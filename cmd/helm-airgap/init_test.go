package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/rules/config"
)

const initManifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          args: ["--sidecar-image=quay.io/example/sidecar:2"]
        - name: cache
          image: registry.corp.example.com/team/cache:1
      initContainers:
        - name: setup
          image: localhost:5000/tools/setup:3
`

// TestInit: the starter config lists one rule per source registry with the
// images it covers, loads, and is enough for images to plan every image of
// the same manifests (exit 0, nothing left public).
func TestInit(t *testing.T) {
	dir := t.TempDir()
	r := runCLI(t, dir, nil, initManifests, "init", "--registry", "registry.corp.example.com", "--pull-secret", "corp-pull")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"# yaml-language-server: $schema=" + schemaURL + "\n",
		"  # docker.io: 1 image(s)\n  #   docker.io/library/nginx:1.27\n  - from: docker.io\n    to: registry.corp.example.com/docker.io\n",
		"  # localhost:5000: 1 image(s)\n  #   localhost:5000/tools/setup:3\n  - from: localhost:5000\n    to: registry.corp.example.com/localhost-5000\n",
		"  # quay.io: 1 image(s)\n  #   quay.io/example/sidecar:2\n  - from: quay.io\n    to: registry.corp.example.com/quay.io\n",
		"# Already on registry.corp.example.com, left as they are (1 image(s)):\n#   registry.corp.example.com/team/cache:1\n",
		"pullSecrets: [corp-pull]\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("starter config lacks\n%s\ngot:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "- from:") != 3 {
		t.Errorf("want 3 rules:\n%s", r.stdout)
	}
	cfg, err := config.Parse([]byte(r.stdout), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Compile(); err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(dir, "airgap.yaml")
	if err := os.WriteFile(configPath, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := runCLI(t, dir, nil, initManifests, "images", "-c", configPath)
	if plan.code != 0 {
		t.Fatalf("images with the starter config: exit %d: %s", plan.code, plan.stderr)
	}
	if !strings.Contains(plan.stderr, "4 image(s): 3 to copy, 1 already internal") {
		t.Errorf("images with the starter config: %s%s", plan.stdout, plan.stderr)
	}
}

// TestInitErrors: a destination that cannot be a registry prefix and input
// that is not YAML fail with exit 2 and nothing on stdout.
func TestInitErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"public registry", initManifests, `--registry "docker.io/mirror"`, []string{"--registry", "docker.io/mirror"}},
		{"upper case registry path", initManifests, "repository names are lower case; write registry.corp.example.com/team", []string{"--registry", "registry.corp.example.com/Team"}},
		{"broken input", "kind: [\n", "document 1", nil},
		{"helm flag without a chart", initManifests, "unknown flag: -f", []string{"-f", "values.yaml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, nil, tt.stdin, append([]string{"init"}, tt.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

// TestInitChart renders the bundled chart with Helm, as init CHART does.
func TestInitChart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Helm")
	}
	helm := testtool.Tool(t, testtool.Helm4)
	chart := filepath.Join(testtool.ModuleRoot(t), "testdata", "charts", "platform")
	r := runCLI(t, t.TempDir(), []string{"HELM_BIN=" + helm}, "", "init", chart, "--set", "global.imageRegistry=")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "  - from: europe-west3-docker.pkg.dev\n") {
		t.Errorf("no rule for the chart's registry:\n%s", r.stdout)
	}
}
