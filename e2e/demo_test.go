package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// TestDemo runs scripts/demo.sh (make demo) in a copy of the checkout whose
// bin/ and build/tools/ hold this test's binaries, and checks its table.
func TestDemo(t *testing.T) {
	root := testtool.ModuleRoot(t)
	checkout := helmtest.Checkout(t)
	if err := os.CopyFS(filepath.Join(checkout, "testdata", "charts"), os.DirFS(filepath.Join(root, "testdata", "charts"))); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(checkout, "scripts", "demo.sh"), readFile(t, filepath.Join(root, "scripts", "demo.sh")))
	tools := filepath.Join(checkout, "build", "tools")
	if err := os.MkdirAll(tools, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, tool := range map[string]string{"helm3": testtool.Helm3, "helm4": testtool.Helm4} {
		if err := os.Symlink(testtool.Tool(t, tool), filepath.Join(tools, name)); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", filepath.Join(checkout, "scripts", "demo.sh"))
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"Deployment platform-web/proxy ",
		"docker.io/library/nginx:1.27.3-alpine",
		"registry.internal.example.com/mirror/library/nginx:1.27.3-alpine",
		"Job platform-migrations/migrations *",
		"StatefulSet platform-mongodb/mongo-seed-data",
		`14 image reference(s). Helm 3 with "helm airgap template": the same AFTER column.`,
		"Pull secret: 11 of 11 pod specs",
		`plugin "airgap-postrenderer" exited with error`,
		"Deployment platform-web: container proxy (spec.template.spec.containers[1].image): docker.io/library/nginx:1.27.3-alpine",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "(missing!)") {
		t.Errorf("an image is missing after the rewrite:\n%s", text)
	}
}
