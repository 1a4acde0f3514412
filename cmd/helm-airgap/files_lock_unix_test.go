//go:build unix

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRewriteInPlaceWaitsForAnotherRun: two --in-place runs over one
// directory never interleave (issue 23). This process holds the lock a
// run takes, as a first run would, and a second, real run must say that
// it waits, read and write nothing meanwhile, and finish once the lock
// is released.
func TestRewriteInPlaceWaitsForAnotherRun(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"airgap.yaml": filesConfig, "t/a.yaml": filesPod("a", "nginx:1.27")})
	want := streamed(t, dir, "t/a.yaml")
	held, err := os.Open(filepath.Join(dir, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cliBinary, "rewrite", "--config", "airgap.yaml", "--in-place", "t")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() || !strings.Contains(lines.Text(), `another helm-airgap run is writing files in "t"; waiting for it to finish`) {
		t.Fatalf("the second run did not say it waits: %q (%v)", lines.Text(), lines.Err())
	}
	time.Sleep(200 * time.Millisecond) // were it not waiting, it would have written by now
	if got := readFile(t, filepath.Join(dir, "t/a.yaml")); got != filesPod("a", "nginx:1.27") {
		t.Fatalf("the file changed while another run held the directory:\n%s", got)
	}
	if err := syscall.Flock(int(held.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		t.Log(lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the second run: %v", err)
	}
	if got := readFile(t, filepath.Join(dir, "t/a.yaml")); got != want {
		t.Errorf("after the wait:\n got %q\nwant %q", got, want)
	}
}
