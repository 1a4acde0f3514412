package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"
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

// TestToolModulesShareMainVersions: a module that go.mod and a tool's
// module both require is required at one version. Go's build cache keys each
// compiled package by its source, its dependencies' and the flags (make sets
// -trimpath everywhere), not by the main module, so with one version
// client-go, gRPC, OpenTelemetry and golang.org/x are compiled once for the
// tests and every tool (k8s.io/* alone is a third of kube-apiserver's
// build); a second version compiles them again on every cold cache.
// Argo CD replaces k8s.io/* and gRPC with versions of its own, so its module
// is left out.
func TestToolModulesShareMainVersions(t *testing.T) {
	root := ModuleRoot(t)
	main := requires(t, filepath.Join(root, "go.mod"))
	modules := map[string]bool{"bench/peers": true}
	for _, src := range toolSources {
		if src.module != "." && src.module != "tools/argocd" {
			modules[src.module] = true
		}
	}
	for dir := range modules {
		for path, v := range requires(t, filepath.Join(root, dir, "go.mod")) {
			if mv, ok := main[path]; ok && mv != v && v != "v0.0.0" {
				t.Errorf("%s/go.mod requires %s %s, go.mod %s: take one version (the higher: go get %s@%s in the module that has the lower, then go mod tidy)",
					dir, path, v, mv, path, higher(v, mv))
			}
		}
	}
}

// requires maps each module a go.mod requires to its version, replacements
// applied (kube-apiserver's module requires k8s.io/* at v0.0.0 and replaces
// them).
func requires(t *testing.T, gomod string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.ParseLax(gomod, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range f.Require {
		out[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range f.Replace {
		if _, ok := out[r.Old.Path]; ok && r.New.Version != "" {
			out[r.Old.Path] = r.New.Version
		}
	}
	return out
}

func higher(a, b string) string {
	if semver.Compare(a, b) > 0 {
		return a
	}
	return b
}
