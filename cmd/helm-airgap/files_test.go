package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// filesConfig sends Docker Hub and quay.io to the mirror by rules and has no
// catch-all, so an image from any other registry fails the run.
const filesConfig = `rules:
  - from: docker.io
    to: registry.internal.example.com/hub
  - from: quay.io
    to: registry.internal.example.com/quay
pullSecrets: [regcred]
`

func filesPod(name, image string) string {
	return `# ` + name + `: kept comment
apiVersion: v1
kind: Pod
metadata:
  name: ` + name + `
spec:
  containers:
    - name: app
      image: "` + image + `" # quoted
`
}

// fileState is what a test compares before and after a run.
type fileState struct {
	content string
	mode    fs.FileMode
	mtime   time.Time
	link    string // symlink target
}

// snapshot records every file and symlink under dir.
func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	state := map[string]fileState{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := os.Lstat(path)
		if err != nil {
			return err
		}
		s := fileState{mode: info.Mode(), mtime: info.ModTime()}
		if info.Mode()&fs.ModeSymlink != 0 {
			s.link, err = os.Readlink(path)
		} else {
			var data []byte
			data, err = os.ReadFile(path)
			s.content = string(data)
		}
		state[rel] = s
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return state
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// streamed is what `helm-airgap rewrite FILE` prints: the oracle for the
// file modes, which must write exactly that into each file.
func streamed(t *testing.T, dir, file string) string {
	t.Helper()
	stdout, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", file)
	if code != 0 {
		t.Fatalf("rewrite %s: exit %d: %s", file, code, stderr)
	}
	return stdout
}

func sortedKeys(m map[string]fileState) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestRewriteOutputDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml":                  filesConfig,
		"rendered/web.yaml":            filesPod("web", "nginx:1.27"),
		"rendered/db/db.yml":           filesPod("db", "quay.io/org/db:2"),
		"rendered/db/empty.yaml":       "",
		"rendered/api/api.json":        `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api"},"spec":{"containers":[{"name":"a","image":"quay.io/org/api:1"}]}}` + "\n",
		"rendered/README.md":           "not a manifest\n",
		"extra/standalone.yaml":        filesPod("standalone", "docker.io/library/redis:7"),
		"rendered/out-of-date/x.yaml0": "not a manifest either\n",
	})
	if err := os.Chmod(filepath.Join(dir, "rendered/db/db.yml"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	_, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "--output-dir", "out", "rendered", "extra/standalone.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := snapshot(t, filepath.Join(dir, "out"))
	want := map[string]string{ // output file -> input file
		"web.yaml":        "rendered/web.yaml",
		"db/db.yml":       "rendered/db/db.yml",
		"db/empty.yaml":   "rendered/db/empty.yaml",
		"api/api.json":    "rendered/api/api.json",
		"standalone.yaml": "extra/standalone.yaml",
	}
	if got := sortedKeys(out); len(got) != len(want) {
		t.Fatalf("output files %v, want the %d manifests in the same layout", got, len(want))
	}
	for outName, inName := range want {
		got, ok := out[outName]
		if !ok {
			t.Errorf("no output file %s", outName)
			continue
		}
		if exp := streamed(t, dir, inName); got.content != exp {
			t.Errorf("%s differs from `rewrite %s`:\n got %q\nwant %q", outName, inName, got.content, exp)
		}
		if got.mode != before[inName].mode {
			t.Errorf("%s has mode %v, its input %v", outName, got.mode, before[inName].mode)
		}
	}
	if c := out["web.yaml"].content; !strings.Contains(c, `image: "registry.internal.example.com/hub/library/nginx:1.27" # quoted`) || !strings.Contains(c, "# web: kept comment") {
		t.Errorf("web.yaml was not rewritten in place of the image, comments kept:\n%s", c)
	}
	for name, s := range snapshot(t, dir) {
		if strings.HasPrefix(name, "out"+string(filepath.Separator)) {
			continue
		}
		if s != before[name] {
			t.Errorf("input %s changed", name)
		}
	}
}

func TestRewriteInPlace(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml":        filesConfig,
		"k8s/web.yaml":       filesPod("web", "nginx:1.27"),
		"k8s/jobs/job.yaml":  filesPod("job", "quay.io/org/job:3"),
		"k8s/internal.yaml":  filesPod("internal", "registry.internal.example.com/hub/library/nginx:1.27"),
		"elsewhere/db.yaml":  filesPod("db", "quay.io/org/db:2"),
		"k8s/notes.txt":      "untouched\n",
		"k8s/ignored/x.yaml": filesPod("x", "nginx:1"),
	})
	if err := os.Chmod(filepath.Join(dir, "k8s/jobs/job.yaml"), 0o750); err != nil {
		t.Fatal(err)
	}
	// A symlink is rewritten through: its target changes, the link stays.
	if err := os.Symlink("../elsewhere/db.yaml", filepath.Join(dir, "k8s/db.yaml")); err != nil {
		t.Fatal(err)
	}
	wantContent := map[string]string{}
	for _, f := range []string{"k8s/web.yaml", "k8s/jobs/job.yaml", "k8s/internal.yaml", "elsewhere/db.yaml"} {
		wantContent[f] = streamed(t, dir, f)
	}
	before := snapshot(t, dir)
	_, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "--in-place", "-v",
		"k8s/web.yaml", "k8s/jobs", "k8s/internal.yaml", "k8s/db.yaml", "k8s/web.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "4 file(s)") {
		t.Errorf("summary does not count 4 files (one named twice):\n%s", stderr)
	}
	after := snapshot(t, dir)
	if got, want := sortedKeys(after), sortedKeys(before); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files after %v, before %v (temporary files left?)", got, want)
	}
	for name, b := range before {
		a := after[name]
		if exp, rewritten := wantContent[name]; rewritten {
			if a.content != exp {
				t.Errorf("%s:\n got %q\nwant %q", name, a.content, exp)
			}
			if a.mode != b.mode {
				t.Errorf("%s: mode %v, was %v", name, a.mode, b.mode)
			}
			continue
		}
		if a != b {
			t.Errorf("%s changed: %+v -> %+v", name, b, a)
		}
	}
	// Idempotent: a second run changes no content.
	if _, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "--in-place",
		"k8s/web.yaml", "k8s/jobs", "k8s/internal.yaml", "k8s/db.yaml"); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	for name, s := range snapshot(t, dir) {
		if s.content != after[name].content || s.mode != after[name].mode {
			t.Errorf("second run changed %s", name)
		}
	}
}

// TestRewriteFilesFailureTouchesNothing: whatever fails, in any file, no
// input file is changed, no output file is written, and no temporary file
// is left behind.
func TestRewriteFilesFailureTouchesNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		files  map[string]string
		code   int
		stderr []string
	}{
		{
			name: "a public image in the last file",
			files: map[string]string{
				"m/a.yaml": filesPod("a", "nginx:1.27"),
				"m/b.yaml": filesPod("b", "quay.io/org/b:1"),
				"m/z.yaml": filesPod("z", "ghcr.io/org/z:1"),
			},
			code:   1,
			stderr: []string{"m/z.yaml:", "Pod z: container app (spec.containers[0].image): ghcr.io/org/z:1", "no file was written or changed (1 of 3 failed)"},
		},
		{
			name: "malformed YAML in the first file",
			files: map[string]string{
				"m/a.yaml": "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: a, image: nginx}\n",
				"m/b.yaml": filesPod("b", "quay.io/org/b:1"),
			},
			code:   2,
			stderr: []string{"m/a.yaml:", "no file was written or changed (1 of 2 failed)"},
		},
		{
			name: "a collision across files",
			// Both registries go to one prefix: docker.io/org/app and
			// quay.io/org/app, each alone in its file, collide.
			config: "rules:\n  - from: docker.io\n    to: registry.internal.example.com/all\n  - from: quay.io\n    to: registry.internal.example.com/all\n",
			files: map[string]string{
				"m/a.yaml": filesPod("a", "index.docker.io/org/app:1"),
				"m/b.yaml": filesPod("b", "quay.io/org/app:1"),
			},
			code:   1,
			stderr: []string{"docker.io/org/app and quay.io/org/app would both be mirrored to registry.internal.example.com/all/org/app", "no file was written or changed (0 of 2 failed)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.config == "" {
				tc.config = filesConfig
			}
			tc.files["airgap.yaml"] = tc.config
			writeFiles(t, dir, tc.files)
			for _, mode := range [][]string{{"--in-place"}, {"--output-dir", "out"}, {"--output-dir", "existing"}} {
				if err := os.MkdirAll(filepath.Join(dir, "existing"), 0o755); err != nil {
					t.Fatal(err)
				}
				writeFiles(t, dir, map[string]string{"existing/a.yaml": "old output\n"})
				before := snapshot(t, dir)
				args := append(append([]string{"rewrite", "--config", "airgap.yaml"}, mode...), "m")
				stdout, stderr, code := execAirgap(t, dir, nil, "", args...)
				if code != tc.code {
					t.Fatalf("%v: exit %d, want %d: %s", mode, code, tc.code, stderr)
				}
				if stdout != "" {
					t.Errorf("%v: stdout %q", mode, stdout)
				}
				for _, want := range tc.stderr {
					if !strings.Contains(stderr, want) {
						t.Errorf("%v: stderr lacks %q:\n%s", mode, want, stderr)
					}
				}
				after := snapshot(t, dir)
				if got, want := sortedKeys(after), sortedKeys(before); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("%v: files after %v, before %v", mode, got, want)
				}
				for name, b := range before {
					if after[name] != b {
						t.Errorf("%v: %s changed", mode, name)
					}
				}
				if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
					t.Errorf("%v: the output directory was created", mode)
				}
			}
		})
	}
}

func TestRewriteFilesUsageErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml":  filesConfig,
		"a/x.yaml":     filesPod("x", "nginx:1"),
		"b/x.yaml":     filesPod("x2", "nginx:1"),
		"empty/README": "",
	})
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"stdin with --output-dir", []string{"--output-dir", "out"}, "--output-dir needs FILE or DIR arguments"},
		{"dash with --in-place", []string{"--in-place", "-"}, `--in-place cannot rewrite stdin ("-")`},
		{"both modes", []string{"--output-dir", "out", "--in-place", "a"}, "none of the others can be"},
		{"two inputs, one output", []string{"--output-dir", "out", "a/x.yaml", "b/x.yaml"}, `would both be written to`},
		{"no manifests", []string{"--in-place", "empty"}, `no *.yaml, *.yml or *.json files in "empty"`},
		{"missing input", []string{"--in-place", "nope.yaml"}, "nope.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, dir)
			args := append([]string{"rewrite", "--config", "airgap.yaml"}, tc.args...)
			stdout, stderr, code := execAirgap(t, dir, nil, "", args...)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
			after := snapshot(t, dir)
			if len(after) != len(before) {
				t.Errorf("files changed: %v -> %v", sortedKeys(before), sortedKeys(after))
			}
		})
	}
}
