package nodeconfig

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden/")

// goldenCases are each format from the bundled chart's config, and
// containerd also from a config it can express (it refuses the bundled
// one's renames; the refusal is golden too).
var goldenCases = []struct {
	name, config string
	opts         Options
}{
	{"bundled-containerd", "../testdata/charts/airgap.yaml", Options{Runtime: "containerd"}},
	{"bundled-crio", "../testdata/charts/airgap.yaml", Options{Runtime: "crio"}},
	{"bundled-crio-blocked", "../testdata/charts/airgap.yaml", Options{Runtime: "crio", BlockSource: true}},
	{"bundled-k3s", "../testdata/charts/airgap.yaml", Options{Runtime: "k3s"}},
	{"bundled-openshift", "../testdata/charts/airgap.yaml", Options{Runtime: "openshift"}},
	{"containerd", "testdata/containerd-airgap.yaml", Options{Runtime: "containerd"}},
}

// TestGolden compares every generated file, the notes and any error with
// testdata/golden/<case>/; -update rewrites them (review the diff).
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			cfg, m := compileCase(t, "@"+tc.config)
			out, err := Generate(cfg, m, tc.opts)
			if err != nil {
				got["error.txt"] = err.Error() + "\n"
			} else {
				for _, f := range out.Files {
					got[f.Path] = string(f.Data)
				}
				got["notes.txt"] = strings.Join(out.Notes, "\n") + "\n"
			}
			dir := filepath.Join("testdata", "golden", tc.name)
			if *update {
				writeGolden(t, dir, got)
				return
			}
			compareGolden(t, dir, got)
		})
	}
}

func writeGolden(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, files)
}

// writeFiles writes each file (a slash-separated path) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func compareGolden(t *testing.T, dir string, got map[string]string) {
	t.Helper()
	want := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		want[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", dir, err)
	}
	for name, data := range got {
		if w, ok := want[name]; !ok {
			t.Errorf("%s: generated but not in %s", name, dir)
		} else if w != data {
			t.Errorf("%s/%s differs (run with -update and review the diff):\n--- want\n%s\n--- got\n%s", dir, name, w, data)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%s/%s: in the golden files but not generated", dir, name)
		}
	}
}
