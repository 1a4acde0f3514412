package inputs

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestIsChart(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "chart")
	plain := filepath.Join(dir, "manifests")
	for _, d := range []string{chart, plain} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(chart, "Chart.yaml"), "apiVersion: v2\nname: x\nversion: 1.0.0\n")
	write(t, filepath.Join(dir, "app-1.0.0.tgz"), "")
	write(t, filepath.Join(dir, "rendered.yaml"), "")
	tests := map[string]bool{
		chart:                                   true,
		plain:                                   false,
		filepath.Join(dir, "app-1.0.0.tgz"):     true,
		filepath.Join(dir, "rendered.yaml"):     false,
		"oci://registry.example.com/charts/app": true,
		"https://charts.example.com/app-1.tgz":  true,
		"https://charts.example.com/index":      false,
		"bitnami/redis":                         true,
		"rendered/out.yaml":                     false,
		"missing.yaml":                          false,
		"a/b/c":                                 false,
		"-":                                     false,
		"--set":                                 false,
		"":                                      false,
	}
	for arg, want := range tests {
		if got := IsChart(arg); got != want {
			t.Errorf("IsChart(%q) = %v, want %v", arg, got, want)
		}
	}
}

func testFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.StringP("config", "c", "", "")
	fs.StringP("output", "o", "", "")
	fs.Bool("why", false, "")
	fs.StringArray("rule", nil, "")
	fs.BoolP("help", "h", false, "")
	return fs
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		args, own, rest []string
		err             string
	}{
		{
			args: []string{"./chart", "--set", "a=b", "-c", "airgap.yaml", "-f", "v.yaml", "--why", "-ojson", "--rule=x=y", "--version", "1.2.3"},
			own:  []string{"-c", "airgap.yaml", "--why", "-ojson", "--rule=x=y"},
			rest: []string{"./chart", "--set", "a=b", "-f", "v.yaml", "--version", "1.2.3"},
		},
		{
			args: []string{"--config", "a.yaml", "x.yaml", "-", "--", "-c", "--why"},
			own:  []string{"--config", "a.yaml"},
			rest: []string{"x.yaml", "-", "-c", "--why"},
		},
		{args: []string{"-h"}, own: []string{"-h"}},
		{args: []string{"--why=false", "-o=json"}, own: []string{"--why=false", "-o=json"}},
		{args: []string{"x", "-c"}, err: "flag needs an argument: -c"},
		{args: []string{"--output"}, err: "flag needs an argument: --output"},
	}
	for _, tt := range tests {
		own, rest, err := SplitArgs(testFlags(), tt.args)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.args, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(own, tt.own) || !slices.Equal(rest, tt.rest) {
			t.Errorf("%q:\n own %q rest %q err %v\nwant own %q rest %q", tt.args, own, rest, err, tt.own, tt.rest)
		}
		if err := testFlags().Parse(own); err != nil {
			t.Errorf("%q: own flags do not parse: %v", tt.args, err)
		}
	}
}

// FuzzSplitArgs: never panics; own and rest together keep every argument in
// order (but "--"), and own parses as the flag set's flags alone.
func FuzzSplitArgs(f *testing.F) {
	f.Add("./chart\x00--set\x00a=b\x00-c\x00x.yaml\x00--why")
	f.Add("-ojson\x00--\x00-c")
	f.Add("--rule\x00--config=\x00-h\x00-")
	f.Add("-c")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		own, rest, err := SplitArgs(testFlags(), args)
		if err != nil {
			return
		}
		merged := mergeInOrder(args, own, rest)
		if merged != "" {
			t.Fatalf("args %q split into own %q and rest %q: %s", args, own, rest, merged)
		}
		fs := testFlags()
		fs.SetOutput(io.Discard)
		// A value may be invalid ("-h=2"); a flag must never be unknown or
		// lose its value.
		if err := fs.Parse(own); err != nil && !strings.Contains(err.Error(), "invalid argument") {
			t.Fatalf("own %q does not parse: %v", own, err)
		}
		if fs.NArg() != 0 {
			t.Fatalf("own %q left positional arguments %q", own, fs.Args())
		}
	})
}

// mergeInOrder checks that own and rest each keep the order of args and
// that together they hold every argument but at most one "--"; it returns a
// description of the first problem, or "".
func mergeInOrder(args, own, rest []string) string {
	if !isSubsequence(own, args) || !isSubsequence(rest, args) {
		return "reordered or invented arguments"
	}
	dropped := len(args) - len(own) - len(rest)
	if dropped < 0 || dropped > 1 || (dropped == 1 && !slices.Contains(args, "--")) {
		return "arguments lost"
	}
	return ""
}

func isSubsequence(sub, seq []string) bool {
	i := 0
	for _, s := range seq {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}

func TestHelmTemplate(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "args")
	fake := filepath.Join(dir, "helm")
	write(t, fake, `#!/bin/sh
printf '%s\n' "$@" > "`+log+`"
if [ "$3" = "--fail" ]; then echo "Error: chart broken" >&2; exit 1; fi
printf 'kind: Pod\napiVersion: v1\nmetadata: {name: p}\n'
`)
	if err := os.Chmod(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HELM_BIN", fake)

	out, err := HelmTemplate(context.Background(), "./chart", []string{"--set", "a=b c"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(out)
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "kind: Pod") {
		t.Errorf("output %q", data)
	}
	if args, _ := os.ReadFile(log); string(args) != "template\n./chart\n--set\na=b c\n" {
		t.Errorf("helm got %q", args)
	}

	var stderr strings.Builder
	out, err = HelmTemplate(context.Background(), "./chart", []string{"--fail"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, out)
	err = out.Close()
	if err == nil || !strings.Contains(err.Error(), `rendering chart "./chart"`) || !strings.Contains(stderr.String(), "chart broken") {
		t.Errorf("error %v, stderr %q; want the failure named and helm's message passed on", err, stderr.String())
	}
}

func TestReaderConcatenatesFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.yaml"), "kind: B") // no trailing newline
	write(t, filepath.Join(dir, "a.yml"), "---\nkind: A\n")
	write(t, filepath.Join(dir, "notes.txt"), "ignored")
	files, err := Expand([]string{dir, "-"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(NewReader(strings.NewReader("kind: C\n"), files))
	if err != nil {
		t.Fatal(err)
	}
	if want := "---\nkind: A\n---\nkind: B\n---\nkind: C\n"; string(data) != want {
		t.Errorf("stream %q, want %q", data, want)
	}
	if _, err := Expand([]string{filepath.Join(dir, "missing.yaml")}); err == nil {
		t.Error("a missing input is not an error")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
