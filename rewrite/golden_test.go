package rewrite

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
)

var update = flag.Bool("update", false, "rewrite the golden files testdata/<case>/expected.yaml")

// goldenCases are the directories under ../testdata holding config.yaml and
// input.yaml.
func goldenCases(t testing.TB) []string {
	t.Helper()
	inputs, err := filepath.Glob("../testdata/*/input.yaml")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden cases in ../testdata/*/input.yaml (%v)", err)
	}
	var dirs []string
	for _, in := range inputs {
		dirs = append(dirs, filepath.Dir(in))
	}
	return dirs
}

// goldenOptions loads a case's config.yaml the way the CLI loads --config.
func goldenOptions(t testing.TB, dir string) Options {
	t.Helper()
	cfg, err := config.LoadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Mapper: m, Catalogue: cfg.Catalogue(), Ignore: cfg.Ignore}
}

// TestGolden runs every case and compares the output with expected.yaml
// byte for byte (go test ./rewrite -run TestGolden -update rewrites them).
// Each output must also be idempotent, pass the check, keep the document
// count, and differ from the input only in image references and pull
// secrets.
func TestGolden(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			opts := goldenOptions(t, dir)
			out, report, err := runOpts(t, opts, string(input))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			expectedPath := filepath.Join(dir, "expected.yaml")
			if *update {
				if err := os.WriteFile(expectedPath, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			expected, err := os.ReadFile(expectedPath)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if out != string(expected) {
				t.Errorf("output differs from %s at byte %d (run with -update to accept):\n%s", expectedPath,
					firstDiff([]byte(out), expected), out)
			}
			if report.Rewritten == 0 && report.PodSpecs == 0 {
				t.Error("the case changes nothing: it proves nothing")
			}

			again, _, err := runOpts(t, opts, out)
			if err != nil || again != out {
				t.Fatalf("not idempotent (%v):\n%s", err, again)
			}
			check := opts
			check.CheckOnly = true
			if _, _, err := runOpts(t, check, out); err != nil {
				t.Fatalf("check fails on the output: %v", err)
			}
			compareStreams(t, opts.Mapper, string(input), out)
			if bytes.Contains(input, []byte("\r\n")) && strings.Count(out, "\n") != strings.Count(out, "\r\n") {
				t.Error("CRLF input gave output with bare LF line endings")
			}
		})
	}
}

// TestGoldenReEncodes makes sure the fallback case really exercises the
// fallback, and the others really splice.
func TestGoldenReEncodes(t *testing.T) {
	for _, dir := range goldenCases(t) {
		input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		_, report, err := runOpts(t, goldenOptions(t, dir), string(input))
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if filepath.Base(dir) == "reencode" {
			want = 1
		}
		if report.ReEncoded != want {
			t.Errorf("%s: %d document(s) re-encoded, want %d", filepath.Base(dir), report.ReEncoded, want)
		}
	}
}
