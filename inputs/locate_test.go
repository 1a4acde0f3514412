package inputs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// locateFiles are inputs of every shape the reader joins differently: with
// and without their own marker and final newline, empty, and stdin.
func locateFiles(t *testing.T) (files []string, content map[string]string) {
	dir := t.TempDir()
	content = map[string]string{
		"a.yaml": "kind: A\nx: 1\n",
		"b.yaml": "---\nkind: B\n---\nkind: B2\nz: 3\n",
		"c.yaml": "kind: C",
		"d.yaml": "",
		"e.yaml": "# head\nkind: E\ny: 2\n",
		"f.yaml": "--- \nkind: F\n",
		"-":      "kind: S\n\nw: 1\n",
	}
	for _, name := range []string{"a.yaml", "b.yaml", "c.yaml", "d.yaml", "-", "e.yaml", "f.yaml"} {
		path := name
		if name != "-" {
			path = filepath.Join(dir, name)
			write(t, path, content[name])
			content[path] = content[name]
		}
		files = append(files, path)
	}
	return files, content
}

func TestReaderLocatesEveryLine(t *testing.T) {
	files, content := locateFiles(t)
	r := NewReader(strings.NewReader(content["-"]), files)
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	reached := map[string]map[int]bool{}
	for i, text := range lines {
		name, line, ok := r.Locate(i + 1)
		if !ok {
			t.Fatalf("stream line %d is in no file", i+1)
		}
		own := strings.Split(content[name], "\n")
		if line < 1 || line > len(own) {
			t.Fatalf("stream line %d (%q) located at %s line %d, which has %d lines", i+1, text, name, line, len(own))
		}
		if own[line-1] != text {
			if text != "---" || line != 1 {
				t.Errorf("stream line %d is %q, located at %s line %d, which is %q", i+1, text, name, line, own[line-1])
			}
			continue // the marker put before the file counts as its first line
		}
		if reached[name] == nil {
			reached[name] = map[int]bool{}
		}
		reached[name][line] = true
	}
	for name, text := range content {
		if text == "" || (!strings.Contains(name, string(filepath.Separator)) && name != "-") {
			continue
		}
		for i := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if !reached[name][i+1] {
				t.Errorf("%s line %d is reached by no stream line", name, i+1)
			}
		}
	}
}

func TestReaderExplainsStreamLines(t *testing.T) {
	files, content := locateFiles(t)
	r := NewReader(strings.NewReader(content["-"]), files)
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	stream := strings.Split(string(data), "\n")
	lineOf := func(text string) string { // the stream line of a line's text
		for i, l := range stream {
			if l == text {
				return strconv.Itoa(i + 1)
			}
		}
		t.Fatalf("%q is not in the stream", text)
		return ""
	}
	base := func(name string) string { return `"` + files[indexOf(files, name)] + `"` }
	tests := []struct{ err, want string }{
		{"document 4 (line " + lineOf("kind: B2") + "): invalid YAML: line " + lineOf("z: 3") + ": did not find expected key",
			base("b.yaml") + ": document at line 4: invalid YAML: line 5: did not find expected key"},
		{"document 7 (line " + strconv.Itoa(mustAtoi(t, lineOf("# head"))-1) + "): Pod x: duplicate key \"line 3\" at line " + lineOf("y: 2") + " (first at line " + lineOf("kind: E") + ")",
			base("e.yaml") + ": document at line 1: Pod x: duplicate key \"line 3\" at line 3 (first at line 2)"},
		{"document 6 (line " + lineOf("w: 1") + "): something", "stdin: document at line 3: something"},
		{"reading input at line " + lineOf("kind: F") + ": EOF", base("f.yaml") + ": reading input at line 2: EOF"},
		{"3 image reference(s) not on the mirror", "3 image reference(s) not on the mirror"},
	}
	for _, tt := range tests {
		cause := errors.New(tt.err)
		got := r.Explain(cause)
		if got.Error() != tt.want {
			t.Errorf("Explain(%q)\n = %q\nwant %q", tt.err, got, tt.want)
		}
		if !errors.Is(got, cause) {
			t.Errorf("Explain(%q) does not wrap the error", tt.err)
		}
	}
	if err := NewReader(strings.NewReader("a: 1\n"), []string{"-"}).Explain(errors.New("document 1 (line 1): x")); err.Error() != "document 1 (line 1): x" {
		t.Errorf("stdin alone: %q, want the error unchanged", err)
	}
}

func indexOf(list []string, base string) int {
	for i, s := range list {
		if filepath.Base(s) == base {
			return i
		}
	}
	return -1
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// FuzzExplain: any message comes back without a panic, and every quoted
// part of it unchanged.
func FuzzExplain(f *testing.F) {
	f.Add("document 3 (line 7): invalid YAML: line 9: x")
	f.Add(`document 1 (line 2): "line 3" "\"line 4" line 5`)
	f.Add("line 99999999999999999999")
	f.Fuzz(func(t *testing.T, msg string) {
		dir := t.TempDir()
		a := filepath.Join(dir, "a.yaml")
		if err := os.WriteFile(a, []byte("x: 1\ny: 2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := NewReader(strings.NewReader("z: 3\n"), []string{a, "-", a})
		if _, err := io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
		got := r.Explain(errors.New(msg)).Error()
		for _, q := range quotedParts(msg) {
			if !strings.Contains(got, q) {
				t.Fatalf("%q lost its quoted part %q: %q", msg, q, got)
			}
		}
	})
}

// quotedParts lists the double-quoted parts of a message as unquoted sees them.
func quotedParts(msg string) []string {
	var parts []string
	blank := unquoted(msg)
	start := -1
	for i := 0; i < len(msg); i++ {
		if msg[i] == '"' && blank[i] == '"' {
			if start < 0 {
				start = i
			} else {
				parts = append(parts, msg[start:i+1])
				start = -1
			}
		}
	}
	return parts
}
