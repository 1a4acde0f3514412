package helmtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

// Checkout lays out a copy of the checkout as `make build` leaves it, as
// far as Helm can see: the top-level plugin.yaml, plugins/airgap-postrenderer
// with its relative bin symlink, and bin/ holding freshly built helm-airgap
// and helm-airgap-helm (as symlinks, so that helm-airgap finds its
// companion beside its real path). It returns the copy's root.
func Checkout(t testing.TB) string {
	t.Helper()
	root := testtool.ModuleRoot(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(root, "plugin.yaml"), filepath.Join(dir, "plugin.yaml"))
	post := filepath.Join("plugins", "airgap-postrenderer")
	copyFile(t, filepath.Join(root, post, "plugin.yaml"), filepath.Join(dir, post, "plugin.yaml"))
	link, err := os.Readlink(filepath.Join(root, post, "bin"))
	if err != nil {
		t.Fatalf("plugins/airgap-postrenderer/bin must be a symlink to the checkout's bin/: %v", err)
	}
	if err := os.Symlink(link, filepath.Join(dir, post, "bin")); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"helm-airgap", "helm-airgap-helm"} {
		if err := os.Symlink(testtool.Command(t, name), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// InstallPlugins installs the checkout's plugins into h: `airgap` always,
// `airgap-postrenderer` on Helm 4 only (Helm 3 cannot load it).
func (h *Helm) InstallPlugins(checkout string) {
	h.t.Helper()
	h.MustRun(checkout, "plugin", "install", checkout)
	if h.Major >= 4 {
		h.MustRun(checkout, "plugin", "install", filepath.Join(checkout, "plugins", "airgap-postrenderer"))
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
