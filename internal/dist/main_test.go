package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/doctest"
	"github.com/plexicus/helm-airgap/internal/release"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

var allPlatforms, _ = release.ParsePlatforms(defaultPlatforms)

// entry is one platformCommand item as Helm reads it.
type entry struct {
	OS      string   `yaml:"os"`
	Arch    string   `yaml:"arch"`
	Command string   `yaml:"command"`
	Args    []string `yaml:"args"`
}

func TestPlatformManifest(t *testing.T) {
	root := testtool.ModuleRoot(t)
	for _, tc := range []struct {
		file string
		args []string
		// where the entries are, as Helm reads them
		decode func([]byte) ([]entry, error)
	}{
		{"plugin.yaml", nil, func(b []byte) ([]entry, error) {
			var m struct {
				PlatformCommand []entry `yaml:"platformCommand"`
			}
			err := yaml.Unmarshal(b, &m)
			return m.PlatformCommand, err
		}},
		{"plugins/airgap-postrenderer/plugin.yaml", []string{"rewrite"}, func(b []byte) ([]entry, error) {
			var m struct {
				RuntimeConfig struct {
					PlatformCommand []entry `yaml:"platformCommand"`
				} `yaml:"runtimeConfig"`
			}
			err := yaml.Unmarshal(b, &m)
			return m.RuntimeConfig.PlatformCommand, err
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := platformManifest(data, allPlatforms)
			if err != nil {
				t.Fatal(err)
			}
			entries, err := tc.decode(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(allPlatforms) {
				t.Fatalf("%d entries, want %d:\n%s", len(entries), len(allPlatforms), out)
			}
			for i, pf := range allPlatforms {
				e := entries[i]
				want := "$HELM_PLUGIN_DIR/bin/" + pf.Dir() + "/helm-airgap"
				if e.OS != pf.OS || e.Arch != pf.Arch || e.Command != want || strings.Join(e.Args, " ") != strings.Join(tc.args, " ") {
					t.Errorf("entry %d = %+v, want %s/%s running %s %v", i, e, pf.OS, pf.Arch, want, tc.args)
				}
			}
			// Everything but platformCommand is kept, comments included.
			var before, after map[string]any
			yaml.Unmarshal(data, &before)
			yaml.Unmarshal(out, &after)
			for k, v := range before {
				if k == "platformCommand" || k == "runtimeConfig" {
					continue
				}
				if after[k] != v {
					t.Errorf("%s changed: %v -> %v", k, v, after[k])
				}
			}
			if first := strings.SplitN(string(data), "\n", 2)[0]; !strings.HasPrefix(string(out), first) {
				t.Errorf("the leading comment was lost:\n%s", out)
			}
		})
	}
}

func TestPlatformManifestRejects(t *testing.T) {
	for _, tc := range []struct{ name, yaml, err string }{
		{"no command", "name: airgap\nversion: 0.1.0\n", "exactly one platformCommand"},
		{"two commands", "name: a\nplatformCommand:\n  - command: $HELM_PLUGIN_DIR/bin/helm-airgap\n  - command: x\n", "exactly one platformCommand"},
		{"already per platform", "name: a\nplatformCommand:\n  - os: linux\n    command: $HELM_PLUGIN_DIR/bin/helm-airgap\n", "on every platform"},
		{"another command", "name: a\nplatformCommand:\n  - command: $HELM_PLUGIN_DIR/bin/other\n", "on every platform"},
		{"not a mapping", "- a\n", "not a YAML mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := platformManifest([]byte(tc.yaml), allPlatforms); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
}

func TestWriteTarballIsReproducible(t *testing.T) {
	base := t.TempDir()
	for name, mode := range map[string]os.FileMode{"p/plugin.yaml": 0o644, "p/bin/linux-amd64/tool": 0o755, "p/README.md": 0o600} {
		path := filepath.Join(base, name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	var tarballs [][]byte
	for i := range 2 {
		path := filepath.Join(t.TempDir(), "p.tgz")
		if err := writeTarball(path, base, "p", release.SourceDate()); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tarballs = append(tarballs, data)
		// Touching the files changes nothing.
		if i == 0 {
			for _, name := range []string{"p/plugin.yaml", "p/README.md"} {
				os.Chtimes(filepath.Join(base, name), time.Now(), time.Now())
			}
		}
	}
	if !bytes.Equal(tarballs[0], tarballs[1]) {
		t.Error("two tarballs of the same files differ")
	}
}

// TestVersionsAgree: make build stamps the binaries with plugin.yaml's
// version, the one make dist and helm plugin list show.
func TestVersionsAgree(t *testing.T) {
	want, err := release.PluginVersion("../../plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("make", "-s", "-C", "../..", "print-version").CombinedOutput()
	if err != nil {
		t.Fatalf("make print-version: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Fatalf("make build stamps %q, plugin.yaml says %q", got, want)
	}
}

func TestShippedLinks(t *testing.T) {
	shipped := func(rel string) bool { return rel == "README.md" || strings.HasPrefix(rel, "docs/") }
	for _, tc := range []struct{ dir, in, want string }{
		{".", "[a](docs/a.md#x)", "[a](docs/a.md#x)"},
		{".", "[c](CONTRIBUTING.md#tests)", "[c](" + sourceURL + "CONTRIBUTING.md#tests)"},
		{".", "[chart](testdata/charts/platform)", "[chart](" + sourceURL + "testdata/charts/platform)"},
		{"docs", "[files](../argocd/) [b](b.md) [top](../README.md)", "[files](" + sourceURL + "argocd) [b](b.md) [top](../README.md)"},
		{".", "[web](https://helm.sh/docs) [here](#install)", "[web](https://helm.sh/docs) [here](#install)"},
	} {
		if got := string(shippedLinks([]byte(tc.in), tc.dir, shipped)); got != tc.want {
			t.Errorf("%s: %q -> %q, want %q", tc.dir, tc.in, got, tc.want)
		}
	}
}

// TestShippedDocsLinks: the README and docs a tarball carries link only to
// files it carries, and to headings they have.
func TestShippedDocsLinks(t *testing.T) {
	dir := t.TempDir()
	if err := shipDocs(testtool.ModuleRoot(t), dir); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "docs", "*.md"))
	files = append(files, filepath.Join(dir, "README.md"))
	if len(files) < 5 {
		t.Fatalf("only %v shipped", files)
	}
	broken, err := doctest.BrokenLinks(dir, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range broken {
		t.Error(b)
	}
}

// TestOneVersionEverywhere: the docs and the Argo CD manifests name the
// release tarballs and the sidecar image by plugin.yaml's version (the tag
// make image pushes), never :latest, which nothing tags.
func TestOneVersionEverywhere(t *testing.T) {
	root := testtool.ModuleRoot(t)
	want, err := release.PluginVersion(filepath.Join(root, "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	yamls, _ := filepath.Glob(filepath.Join(root, "argocd", "*.yaml"))
	files = append(append(files, yamls...), filepath.Join(root, "README.md"))
	versioned := regexp.MustCompile(`(?:\bairgap(?:-postrenderer)?-|argocd-cmp[:-]|newTag: +)(v?[0-9]+\.[0-9]+\.[0-9]+|latest)\b`)
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range versioned.FindAllStringSubmatch(string(data), -1) {
			found++
			if m[1] != want {
				rel, _ := filepath.Rel(root, f)
				t.Errorf("%s: %q: the version is %s (plugin.yaml)", rel, m[0], want)
			}
		}
	}
	if found < 5 {
		t.Errorf("only %d versioned names found: the pattern no longer matches the docs", found)
	}
}
