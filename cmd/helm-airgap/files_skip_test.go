package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRewriteFilesSaySkipped: under --in-place and --output-dir a
// directory's symlinked subdirectory is not followed, and a manifest
// named like helm-airgap's temporary files is not read; each is named on
// stderr, quoted, never skipped silently (issue 23). A run's own
// temporary names are still passed over quietly.
func TestRewriteFilesSaySkipped(t *testing.T) {
	for _, mode := range [][]string{{"--in-place"}, {"--output-dir", "out"}} {
		t.Run(mode[0], func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"airgap.yaml":                     filesConfig,
				"t/a.yaml":                        filesPod("a", "nginx:1.27"),
				"t/.helm-airgap-values.yaml":      filesPod("hidden", "nginx:1.27"),
				"t/.helm-airgap-123-a.yaml.7.tmp": "left by a run",
				"elsewhere/b.yaml":                filesPod("b", "quay.io/org/b:1"),
				"t/.helm-airgap-notes/c.yaml":     filesPod("c", "nginx:1.27"),
			})
			if err := os.Symlink("../elsewhere", filepath.Join(dir, "t/linked")); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"rewrite", "--config", "airgap.yaml", "-v"}, mode...)
			_, stderr, code := execAirgap(t, dir, nil, "", append(args, "t")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, want := range []string{
				`skipping "t/linked": a symlink to a directory is not followed`,
				`skipping "t/.helm-airgap-values.yaml": names starting with ".helm-airgap-"`,
				`skipping "t/.helm-airgap-notes": names starting with`,
				"1 file(s)",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, `skipping "t/.helm-airgap-123`) {
				t.Errorf("a run's temporary file was named:\n%s", stderr)
			}
			if got := readFile(t, filepath.Join(dir, "elsewhere/b.yaml")); got != filesPod("b", "quay.io/org/b:1") {
				t.Errorf("a file behind the symlinked directory was rewritten:\n%s", got)
			}
		})
	}
}
