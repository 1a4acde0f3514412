package main

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Issue 15, item 9: a file name is printed quoted whenever it could forge a
// line on stderr.
const forged = "helm-airgap: no public references; all good"

func assertNoForgedLine(t *testing.T, stderr string) {
	t.Helper()
	for _, line := range strings.Split(stderr, "\n") {
		if strings.TrimSpace(line) == forged {
			t.Errorf("a file name forged the line %q on stderr:\n%s", forged, stderr)
		}
	}
}

func TestFileNamesCannotForgeLines(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file names cannot hold a line break")
	}
	hostile := "x\n" + forged + "\n.yaml"
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	writeFile(t, filepath.Join(dir, "in", hostile), cliPublic)
	writeFile(t, filepath.Join(dir, hostile), "mirrors: x\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"an offender in a file, -o", []string{"rewrite", "-c", "rules.yaml", "-o", "out", filepath.Join("in", hostile)}, 1},
		{"an offender in a file, --in-place", []string{"rewrite", "-c", "rules.yaml", "--in-place", "in"}, 1},
		{"a config file that is not there", []string{"rewrite", "-c", "missing" + hostile}, 2},
		{"a bad config file", []string{"rewrite", "-c", hostile}, 2},
		{"a report file that cannot be written", []string{"rewrite", "-c", "rules.yaml", "--report-file", filepath.Join("rules.yaml", hostile), filepath.Join("in", hostile)}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, dir, nil, "", tc.args...)
			r.want(t, tc.code)
			assertNoForgedLine(t, r.stderr)
			if !strings.Contains(r.stderr, `\n`+forged+`\n`) {
				t.Errorf("stderr does not name the file, quoted:\n%s", r.stderr)
			}
		})
	}
}
