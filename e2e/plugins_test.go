package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
)

// TestPluginsLoad: the one plugin.yaml loads as a CLI plugin on both Helm 3
// and Helm 4, and the post-renderer plugin as postrenderer/v1 on Helm 4.
func TestPluginsLoad(t *testing.T) {
	for _, major := range []int{3, 4} {
		h := newHelm(t, major)
		r := h.MustRun(h.Home, "airgap", "version")
		if strings.TrimSpace(r.Stdout) == "" {
			t.Errorf("helm%d airgap version printed nothing", major)
		}
		list := h.MustRun(h.Home, "plugin", "list").Stdout
		if !strings.Contains(list, "airgap") {
			t.Errorf("helm%d plugin list lacks airgap:\n%s", major, list)
		}
		if major == 4 && !strings.Contains(list, "postrenderer/v1") {
			t.Errorf("helm4 plugin list lacks the postrenderer/v1 plugin:\n%s", list)
		}
		// Flags after the plugin name reach helm-airgap.
		r = h.MustRun(h.Home, "airgap", "rewrite", "--help")
		if !strings.Contains(r.Stdout, "--report-file") {
			t.Errorf("helm%d airgap rewrite --help:\n%s", major, r.Stdout)
		}
	}
}

// TestHelm3CannotLoadPostRendererPlugin documents why the README tells Helm
// 3 users never to install airgap-postrenderer: Helm 3 rejects its
// apiVersion and then loads no plugin at all.
func TestHelm3CannotLoadPostRendererPlugin(t *testing.T) {
	h := newHelm(t, 3)
	checkout := helmtest.Checkout(t)
	r := h.Run(checkout, "plugin", "install", filepath.Join(checkout, "plugins", "airgap-postrenderer"))
	if r.Code == 0 || !strings.Contains(r.Stderr, `unknown field "apiVersion"`) {
		t.Errorf("helm3 plugin install airgap-postrenderer: exit %d\n%s", r.Code, r.Stderr)
	}
	if r := h.Run(h.Home, "airgap", "version"); r.Code == 0 {
		t.Error("Helm 3 still loads plugins with airgap-postrenderer installed; the README's warning is out of date")
	}
}

// TestHelm3PostRendererKeepsEveryDocument: whatever Helm 3 sends comes back,
// document for document; Helm 3 would accept an empty answer and install
// nothing, so a dropped document would go unnoticed.
func TestHelm3PostRendererKeepsEveryDocument(t *testing.T) {
	f := newFixture(t)
	write(t, filepath.Join(f.dir, "quiet", "Chart.yaml"), "apiVersion: v2\nname: quiet\nversion: 0.1.0\n")
	write(t, filepath.Join(f.dir, "quiet", "templates", "off.yaml"), "# every component of this chart is disabled\n")
	h := helmtest.New(t, 3)
	for _, chart := range []string{f.chart, "quiet"} {
		plain := h.MustRun(f.dir, "template", release, chart, "--no-hooks")
		r := h.MustRun(f.dir, append([]string{"template", release, chart, "--no-hooks"}, helm3PostRenderer(t, f.config)...)...)
		if strings.TrimSpace(r.Stdout) == "" {
			t.Fatalf("%s: empty output", chart)
		}
		if got, want := sources(r.Stdout), sources(plain.Stdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: documents differ:\n got  %q\n want %q", chart, got, want)
		}
	}
}
