package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/plan"
)

func TestFluxRelease(t *testing.T) {
	chart := t.TempDir()
	if err := os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: c\nversion: 0.1.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		format plan.Format
		want   string // the arguments, or the error
	}{
		{"chart to flux", []string{chart, "-n", "apps"}, plan.Flux, chart + " --name-template apps-platform -n apps"},
		{"chart, plain, named", []string{chart}, plan.Plain, chart + " --name-template apps-platform"},
		{"chart, plain, unnamed", []string{chart}, plan.Plain, chart},
		{"chart to flux, unnamed", []string{chart}, plan.Flux, "error: -o flux from a chart needs --release-name"},
		{"manifests to flux", []string{"rendered.yaml"}, plan.Flux, "rendered.yaml"},
		{"manifests, named", []string{"rendered.yaml"}, plan.Flux, "error: --release-name names the release of a chart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "apps-platform"
			if strings.Contains(tc.name, "unnamed") || tc.name == "manifests to flux" {
				name = ""
			}
			got, err := fluxRelease(tc.args, tc.format, name)
			out := strings.Join(got, " ")
			if err != nil {
				out = "error: " + err.Error()
			}
			if !strings.HasPrefix(out, tc.want) {
				t.Errorf("got %q, want %q", out, tc.want)
			}
		})
	}
}

// TestImagesFluxReleaseName: the patches of images -o flux from a chart
// target the objects as Flux names them, after --release-name.
func TestImagesFluxReleaseName(t *testing.T) {
	if testing.Short() {
		t.Skip("renders with Helm")
	}
	root := testtool.ModuleRoot(t)
	helm := testtool.Tool(t, testtool.Helm4)
	r := runCLI(t, t.TempDir(), []string{"HELM_BIN=" + helm}, "", "images", filepath.Join(root, "testdata", "charts", "platform"),
		"-c", filepath.Join(root, "testdata", "charts", "airgap.yaml"), "-o", "flux", "--release-name", "apps-platform", "-n", "apps")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "name: apps-platform-api\n") || strings.Contains(r.stdout, "release-name") {
		t.Errorf("the patches do not target the release Flux installs:\n%s", r.stdout)
	}
}
