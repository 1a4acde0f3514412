package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestToolModulesShareMainVersions: a module that go.mod and the tool
// modules require is required at one version by all of them. Go's build
// cache keys each compiled package by its source, its dependencies' and the
// flags (make sets -trimpath everywhere), not by the main module, so with
// one version client-go, gRPC, OpenTelemetry and golang.org/x are compiled
// once for the tests and every tool (k8s.io/* alone is a third of
// kube-apiserver's build); a second version compiles them again on every
// cold cache. Argo CD's module is held to it but for the modules its
// replace block (a copy of Argo CD's own) pins, k8s.io/* at an older minor
// among them, and k8s.io/kubernetes, which requires those.
func TestToolModulesShareMainVersions(t *testing.T) {
	root := ModuleRoot(t)
	modules := map[string]bool{".": true, "bench/peers": true}
	for _, src := range toolSources {
		modules[src.module] = true
	}
	// versions[path][version] lists the modules requiring path at version.
	versions := map[string]map[string][]string{}
	for dir := range modules {
		gomod := filepath.Join(root, dir, "go.mod")
		pinned := map[string]bool{}
		if dir == "tools/argocd" {
			pinned = replaced(t, gomod)
			pinned["k8s.io/kubernetes"] = true // at the minor of those k8s.io/* pins
		}
		for path, v := range requires(t, gomod) {
			if v == "v0.0.0" || pinned[path] {
				continue
			}
			if versions[path] == nil {
				versions[path] = map[string][]string{}
			}
			versions[path][v] = append(versions[path][v], dir)
		}
	}
	for path, byVersion := range versions {
		if len(byVersion) < 2 {
			continue
		}
		var seen []string
		highest := ""
		for v, dirs := range byVersion {
			slices.Sort(dirs)
			seen = append(seen, v+" ("+strings.Join(dirs, ", ")+")")
			highest = higher(highest, v)
		}
		slices.Sort(seen)
		t.Errorf("%s is required at %s: take one version (the highest: go get %s@%s in each module with a lower one, then go mod tidy)",
			path, strings.Join(seen, ", "), path, highest)
	}
}

// requires maps each module a go.mod requires to its version, replacements
// applied (kube-apiserver's module requires k8s.io/* at v0.0.0 and replaces
// them).
func requires(t *testing.T, gomod string) map[string]string {
	t.Helper()
	f := parseGoMod(t, gomod)
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

// replaced is the set of modules a go.mod replaces.
func replaced(t *testing.T, gomod string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range parseGoMod(t, gomod).Replace {
		out[r.Old.Path] = true
	}
	return out
}

func parseGoMod(t *testing.T, gomod string) *modfile.File {
	t.Helper()
	data, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func higher(a, b string) string {
	if semver.Compare(a, b) > 0 {
		return a
	}
	return b
}

func TestByModule(t *testing.T) {
	groups, err := ByModule([]string{ArgoCDCMPServer, Helm3, Etcd, ArgoCDCMPDrive, Helm4})
	if err != nil {
		t.Fatal(err)
	}
	// Tools of one module stay together, in order, so make tools never
	// builds them at once; modules keep their first appearance's order.
	want := [][]string{{ArgoCDCMPServer, ArgoCDCMPDrive}, {Helm3, Helm4}, {Etcd}}
	if !slices.EqualFunc(groups, want, slices.Equal[[]string]) {
		t.Errorf("ByModule = %v, want %v", groups, want)
	}
	if _, err := ByModule([]string{Helm3, "helm5"}); err == nil || !strings.Contains(err.Error(), `"helm5"`) {
		t.Errorf("an unknown tool: %v", err)
	}
}
