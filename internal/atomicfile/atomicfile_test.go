package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// entries lists a directory's names, to see what a write left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	list, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range list {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFunc(t *testing.T) {
	failure := errors.New("disk on fire")
	for _, tc := range []struct {
		name    string
		old     string // "" for no file before
		opts    Options
		write   func(io.Writer) error
		wantErr error
		want    string // the content after; "" with no old file: absent
		perm    os.FileMode
	}{
		{"new file", "", Options{}, writeString("new\n"), nil, "new\n", 0o600},
		{"replaces the old content", "old\n", Options{}, writeString("new\n"), nil, "new\n", 0o600},
		{"the mode asked for", "", Options{Perm: 0o644}, writeString("x"), nil, "x", 0o644},
		{"a failed write keeps the old file", "old\n", Options{}, func(w io.Writer) error {
			io.WriteString(w, "half")
			return failure
		}, failure, "old\n", 0},
		{"a failed write creates nothing", "", Options{}, func(io.Writer) error { return failure }, failure, "", 0},
		{"an empty file", "old\n", Options{}, writeString(""), nil, "", 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "lock.yaml")
			if tc.old != "" {
				if err := os.WriteFile(path, []byte(tc.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFunc(path, tc.opts, tc.write)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			data, rerr := os.ReadFile(path)
			switch {
			case tc.old == "" && tc.wantErr != nil:
				if !errors.Is(rerr, os.ErrNotExist) {
					t.Errorf("a failed write left %s (%v)", path, rerr)
				}
			case rerr != nil:
				t.Fatal(rerr)
			case string(data) != tc.want:
				t.Errorf("content %q, want %q", data, tc.want)
			}
			if tc.perm != 0 && runtime.GOOS != "windows" {
				info, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if info.Mode().Perm() != tc.perm {
					t.Errorf("mode %v, want %v", info.Mode().Perm(), tc.perm)
				}
			}
			if names := entries(t, dir); len(names) > 1 || (len(names) == 1 && names[0] != "lock.yaml") {
				t.Errorf("left behind: %v", names)
			}
		})
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

// TestStageCommitAbort: a staged file is invisible under its name until
// Commit, Abort removes it, and both are safe to repeat.
func TestStageCommitAbort(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      func(dir string) Options
		commit    bool
		closeWait bool // Close before Commit, as a caller preparing many files does
	}{
		{"commit beside", func(string) Options { return Options{} }, true, false},
		{"close, then commit", func(string) Options { return Options{} }, true, true},
		{"abort", func(string) Options { return Options{} }, false, false},
		{"commit from a staging directory", func(dir string) Options {
			return Options{Dir: filepath.Join(dir, "stage"), Pattern: "0.*"}
		}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "stage"), 0o755)
			path := filepath.Join(dir, "out.yaml")
			opts := tc.opts(dir)
			f, err := Stage(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if f.Path() != path {
				t.Errorf("Path() = %q", f.Path())
			}
			wantDir := opts.Dir
			if wantDir == "" {
				wantDir = dir
				if !strings.HasPrefix(filepath.Base(f.Name()), ".out.yaml.") || !strings.HasSuffix(f.Name(), ".tmp") {
					t.Errorf("temporary name %q does not follow the default pattern", f.Name())
				}
			}
			if filepath.Dir(f.Name()) != wantDir {
				t.Errorf("staged in %q, want %q", filepath.Dir(f.Name()), wantDir)
			}
			io.WriteString(f, "content")
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the name holds something before commit (%v)", err)
			}
			if tc.closeWait {
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if tc.commit {
				if err := f.Commit(); err != nil {
					t.Fatal(err)
				}
				if data, _ := os.ReadFile(path); string(data) != "content" {
					t.Errorf("committed content %q", data)
				}
				if err := f.Commit(); err == nil {
					t.Error("a second commit succeeded")
				}
			}
			if err := f.Abort(); err != nil {
				t.Errorf("abort: %v", err)
			}
			if _, err := os.Stat(f.Name()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the temporary file is still there (%v)", err)
			}
			_, err = os.Stat(path)
			if exists := err == nil; exists != tc.commit {
				t.Errorf("file exists: %v, want %v", exists, tc.commit)
			}
		})
	}
}

// TestCommitFailureRemovesTheTemporary: a rename that cannot happen (the
// name is a non-empty directory) leaves the directory and no temporary.
func TestCommitFailureRemovesTheTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(path, "inside"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("x"), Options{}); err == nil {
		t.Fatal("replacing a non-empty directory succeeded")
	}
	if names := entries(t, dir); len(names) != 1 || names[0] != "taken" {
		t.Errorf("left behind: %v", names)
	}
}

func TestStageInMissingDirectory(t *testing.T) {
	if _, err := Stage(filepath.Join(t.TempDir(), "no", "such", "f"), Options{}); err == nil {
		t.Fatal("staging in a missing directory succeeded")
	}
}
