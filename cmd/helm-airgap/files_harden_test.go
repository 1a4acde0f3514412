package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// failsUnchanged runs the binary in dir, requires exit code and every want
// on stderr, nothing on stdout, and that no file under dir changed, appeared or vanished.
func failsUnchanged(t *testing.T, dir string, code int, want []string, args ...string) {
	t.Helper()
	before := snapshot(t, dir)
	stdout, stderr, got := execAirgap(t, dir, nil, "", args...)
	if got != code || stdout != "" {
		t.Errorf("%v: exit %d and %d bytes on stdout, want %d and none:\n%s", args, got, len(stdout), code, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("%v: stderr lacks %q:\n%s", args, w, stderr)
		}
	}
	after := snapshot(t, dir)
	if got, want := strings.Join(sortedKeys(after), " "), strings.Join(sortedKeys(before), " "); got != want {
		t.Errorf("%v: files after: %s\nbefore: %s", args, got, want)
	}
	for name, b := range before {
		if a := after[name]; a.content != b.content || a.mode != b.mode || a.link != b.link {
			t.Errorf("%v: %s changed: %q -> %q", args, name, b.content, a.content)
		}
	}
}

// TestRewriteFilesFollowSymlinkedManifests: a symlinked manifest inside a
// directory argument is rewritten like the file it points to (stdin mode
// reads it too), never skipped, and a link that leads nowhere is refused.
func TestRewriteFilesFollowSymlinkedManifests(t *testing.T) {
	setup := func(t *testing.T, image string) string {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{
			"airgap.yaml": filesConfig,
			"t/a.yaml":    filesPod("a", "nginx:1.27"),
			"o/ext.yaml":  filesPod("ext", image),
		})
		if err := os.Symlink("../o/ext.yaml", filepath.Join(dir, "t/link.yaml")); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Run("in place", func(t *testing.T) {
		dir := setup(t, "quay.io/org/ext:1")
		want := streamed(t, dir, "o/ext.yaml")
		_, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "--in-place", "-v", "t")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, s := range []string{"2 file(s)", `"t/link.yaml" is a symlink: rewriting the file it points to`} {
			if !strings.Contains(stderr, s) {
				t.Errorf("stderr lacks %q:\n%s", s, stderr)
			}
		}
		if got := readFile(t, filepath.Join(dir, "o/ext.yaml")); got != want {
			t.Errorf("the linked file:\n got %q\nwant %q", got, want)
		}
		if target, err := os.Readlink(filepath.Join(dir, "t/link.yaml")); err != nil || target != "../o/ext.yaml" {
			t.Errorf("the link became %q (%v)", target, err)
		}
	})
	t.Run("output directory", func(t *testing.T) {
		dir := setup(t, "quay.io/org/ext:1")
		want := streamed(t, dir, "o/ext.yaml")
		_, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "-o", "out", "-v", "t")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "2 file(s)") || !strings.Contains(stderr, `"t/link.yaml" is a symlink to`) {
			t.Errorf("stderr does not count or name the link:\n%s", stderr)
		}
		info, err := os.Lstat(filepath.Join(dir, "out/link.yaml"))
		if err != nil || !info.Mode().IsRegular() {
			t.Fatalf("out/link.yaml is not a regular file: %v %v", info, err)
		}
		if got := readFile(t, filepath.Join(dir, "out/link.yaml")); got != want {
			t.Errorf("out/link.yaml:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("a public image behind the link fails the run", func(t *testing.T) {
		for _, mode := range [][]string{{"--in-place"}, {"-o", "out"}} {
			dir := setup(t, "ghcr.io/evil/x:1")
			args := append(append([]string{"rewrite", "--config", "airgap.yaml"}, mode...), "t")
			failsUnchanged(t, dir, 1, []string{"t/link.yaml", "ghcr.io/evil/x:1"}, args...)
		}
	})
	t.Run("a dangling link is refused", func(t *testing.T) {
		dir := setup(t, "quay.io/org/ext:1")
		if err := os.Symlink("../o/missing.yaml", filepath.Join(dir, "t/gone.yaml")); err != nil {
			t.Fatal(err)
		}
		for _, mode := range [][]string{{"--in-place"}, {"-o", "out"}} {
			args := append(append([]string{"rewrite", "--config", "airgap.yaml"}, mode...), "t")
			failsUnchanged(t, dir, 2, []string{`"t/gone.yaml" is a symlink that cannot be followed`}, args...)
		}
	})
}

// TestRewriteFilesRenameFailureRestores: when one rename fails, the files
// already renamed get their originals back and nothing is left behind.
func TestRewriteFilesRenameFailureRestores(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml":      filesConfig,
		"in/a.yaml":        filesPod("a", "nginx:1.27"),
		"in/b.yaml":        filesPod("b", "nginx:1.27"),
		"in/sub/c.yaml":    filesPod("c", "nginx:1.27"),
		"out/a.yaml":       "old output\n",
		"out/b.yaml/x.txt": "a directory in the way\n",
	})
	failsUnchanged(t, dir, 2, []string{`writing "out/b.yaml"`, "the 1 file(s) already written were restored"},
		"rewrite", "--config", "airgap.yaml", "-o", "out", "in")
	if _, err := os.Stat(filepath.Join(dir, "out/sub")); err == nil {
		t.Error("the directory made for out/sub/c.yaml was left")
	}
}

// TestRewriteInPlaceImmutableFile: a file that cannot be replaced leaves
// every other file as it was. It needs chattr and a file system that
// honours it, and is skipped without them.
func TestRewriteInPlaceImmutableFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml": filesConfig,
		"in/a.yaml":   filesPod("a", "nginx:1.27"),
		"in/b.yaml":   filesPod("b", "nginx:1.27"),
		"in/c.yaml":   filesPod("c", "nginx:1.27"),
	})
	locked := filepath.Join(dir, "in/b.yaml")
	if out, err := exec.Command("chattr", "+i", locked).CombinedOutput(); err != nil {
		t.Skipf("chattr +i: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", locked).Run() })
	if f, err := os.OpenFile(locked, os.O_WRONLY, 0); err == nil {
		f.Close()
		t.Skip("the file system ignores the immutable flag")
	}
	failsUnchanged(t, dir, 2, []string{"in/b.yaml", "no file was written or changed"}, "rewrite", "--config", "airgap.yaml", "--in-place", "in")
}

// deadPid finds a process id that no process has.
func deadPid(t *testing.T) int {
	for pid := 4_000_000; pid > 1000; pid -= 9973 {
		if !processAlive(pid) {
			return pid
		}
	}
	t.Skip("no free process id found")
	return 0
}

// TestRewriteFilesRemovesLeftovers: the staging files of a killed run are
// removed by the next run; those of a live run and look-alike names stay.
func TestRewriteFilesRemovesLeftovers(t *testing.T) {
	dead, live := deadPid(t), os.Getpid()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml": filesConfig,
		"k8s/a.yaml":  filesPod("a", "nginx:1.27"),
		fmt.Sprintf("k8s/.helm-airgap-%d-a.yaml.123.tmp", dead): "staged by a killed run\n",
		fmt.Sprintf("k8s/.helm-airgap-%d-a.yaml.orig", dead):    "kept by a killed run\n",
		fmt.Sprintf("k8s/.helm-airgap-%d-a.yaml.456.tmp", live): "staged by a live run\n",
		"k8s/.helm-airgap-notes.yaml":                           "not ours\n",
		fmt.Sprintf("out/.helm-airgap-%d-789/0", dead):          "a killed run's staging directory\n",
		fmt.Sprintf("out/.helm-airgap-%d-790/0", live):          "a live run's staging directory\n",
	})
	_, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "--in-place", "k8s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, stderr2, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "-o", "out", "k8s/a.yaml")
	if code != 0 {
		t.Fatalf("-o: exit %d: %s", code, stderr2)
	}
	for name, gone := range map[string]bool{
		fmt.Sprintf("k8s/.helm-airgap-%d-a.yaml.123.tmp", dead): true,
		fmt.Sprintf("k8s/.helm-airgap-%d-a.yaml.orig", dead):    true,
		fmt.Sprintf("out/.helm-airgap-%d-789", dead):            true,
		fmt.Sprintf("k8s/.helm-airgap-%d-a.yaml.456.tmp", live): false,
		"k8s/.helm-airgap-notes.yaml":                           false,
		fmt.Sprintf("out/.helm-airgap-%d-790", live):            false,
	} {
		_, err := os.Lstat(filepath.Join(dir, name))
		if gone && err == nil {
			t.Errorf("%s was left", name)
		}
		if !gone && err != nil {
			t.Errorf("%s was removed", name)
		}
	}
	if !strings.Contains(stderr+stderr2, "left by an interrupted run") {
		t.Errorf("the removal is not reported:\n%s%s", stderr, stderr2)
	}
}

// TestRewriteOutputInsideInput: an output directory inside an input, also
// through a symlink, would be read back as input; it is refused.
func TestRewriteOutputInsideInput(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml":   filesConfig,
		"in/a.yaml":     filesPod("a", "nginx:1.27"),
		"in/sub/b.yaml": filesPod("b", "nginx:1.27"),
	})
	if err := os.Symlink("in/sub", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{"in/out", "in", "link/out", "link"} {
		failsUnchanged(t, dir, 2, []string{fmt.Sprintf("the output directory %q is inside the input directory \"in\"", out)},
			"rewrite", "--config", "airgap.yaml", "-o", out, "in")
	}
	// Beside the input is fine, also when its name starts like the input's.
	if _, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "-o", "in-out", "in"); code != 0 {
		t.Errorf("-o in-out: exit %d: %s", code, stderr)
	}
}

// TestRewriteInPlacePermissions: a file its owner made read-only is refused
// (root could replace it regardless), and a file rewritten by root for
// another user keeps that user as its owner.
func TestRewriteInPlacePermissions(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml": filesConfig,
		"k8s/a.yaml":  filesPod("a", "nginx:1.27"),
		"k8s/ro.yaml": filesPod("ro", "nginx:1.27"),
	})
	if err := os.Chmod(filepath.Join(dir, "k8s/ro.yaml"), 0o444); err != nil {
		t.Fatal(err)
	}
	failsUnchanged(t, dir, 2, []string{`refusing to rewrite "k8s/ro.yaml" in place: its permissions (-r--r--r--) do not let you write it`},
		"rewrite", "--config", "airgap.yaml", "--in-place", "k8s")

	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root")
	}
	other := filepath.Join(dir, "k8s/other.yaml")
	writeFiles(t, dir, map[string]string{"k8s/other.yaml": filesPod("other", "nginx:1.27")})
	if err := os.Chown(other, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	want := streamed(t, dir, "k8s/other.yaml")
	if _, stderr, code := execAirgap(t, dir, nil, "", "rewrite", "--config", "airgap.yaml", "--in-place", "k8s/other.yaml"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	info, err := os.Stat(other)
	if err != nil {
		t.Fatal(err)
	}
	st := info.Sys().(*syscall.Stat_t)
	if st.Uid != 4242 || st.Gid != 4343 {
		t.Errorf("owner %d:%d, want 4242:4343", st.Uid, st.Gid)
	}
	if got := readFile(t, other); got != want {
		t.Errorf("not rewritten:\n%s", got)
	}
}

// TestStreamErrorsNameTheFile: an error in a file read as part of the joined
// stream (rewrite and check on files and directories) names the file, the
// line in it, and the resource, not the line of the joined stream.
func TestStreamErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml": filesConfig,
		"m/a.yaml":    filesPod("a", "nginx:1.27") + "---\n" + filesPod("a2", "nginx:1.27"),
		"m/b.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n" +
			"apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      image: nginx:1.28\n",
	})
	for _, command := range []string{"rewrite", "check"} {
		_, stderr, code := execAirgap(t, dir, nil, "", command, "--config", "airgap.yaml", "m")
		want := `"m/b.yaml": document at line 4: Pod bad: duplicate key "image" at line 12 (first at line 11)`
		if code != 2 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, want 2 and %q:\n%s", command, code, want, stderr)
		}
	}
}

// TestForeignLineBreaksRefused: the two reproducers, a lone CR that
// ends a block scalar early and one that hides a document marker, fail the
// run (exit 2, nothing on stdout) in every mode instead of passing the image.
func TestForeignLineBreaksRefused(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"airgap.yaml": filesConfig,
		"m/block.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: |\n    hello\rspec:\n" +
			"  containers:\n  - name: x\n    image: quay.io/evil/x\n",
		"m/marker.yaml": "a: b\r---\rapiVersion: v1\rkind: Pod\rmetadata: {name: p}\rspec:\r  containers:\r  - name: x\r    image: quay.io/evil/x\r",
	})
	for _, file := range []string{"m/block.yaml", "m/marker.yaml"} {
		for _, mode := range [][]string{{"rewrite"}, {"rewrite", "--skip-imageless"}, {"check"}, {"rewrite", "--in-place"}} {
			args := append(append(append([]string(nil), mode...), "--config", "airgap.yaml"), file)
			failsUnchanged(t, dir, 2, []string{"a lone carriage return (CR)"}, args...)
		}
	}
}
