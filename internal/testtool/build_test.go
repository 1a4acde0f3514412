package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildReplacesStaleBinary: build starts from the binary already at the
// path (so that an unchanged one is not linked again), which must never
// leave a stale one in place: not a script, not another Go binary (this
// test's own), and the current one stays current.
func TestBuildReplacesStaleBinary(t *testing.T) {
	if testing.Short() || os.Getenv("TESTTOOL_STALE_CHILD") != "" {
		t.Skip("links a binary")
	}
	root := ModuleRoot(t)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "helm-airgap")
	for _, seed := range []string{"script", "other Go binary", "current"} {
		switch seed {
		case "script":
			if err := os.WriteFile(path, []byte("#!/bin/sh\necho stale\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		case "other Go binary":
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := copyExecutable(self, path); err != nil {
				t.Fatal(err)
			}
		}
		if err := build(root, path, "./cmd/helm-airgap"); err != nil {
			t.Fatalf("%s: %v", seed, err)
		}
		cmd := exec.Command(path, "version")
		// Were this test's binary left in place, it must not run this test.
		cmd.Env = append(os.Environ(), "TESTTOOL_STALE_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "stale") || strings.Contains(string(out), "PASS") {
			t.Fatalf("%s: %s version: %v\n%s", seed, path, err, out)
		}
	}
}
