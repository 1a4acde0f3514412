package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 15, item 12: the engine holds a stream larger than its memory limit
// (16 MiB) in a temporary file until the last document has passed. No exit
// path may leave that file behind: not a reader that stops early (`| head
// -c 10`, a broken pipe), not SIGTERM, SIGINT or SIGHUP.

// bigStream is a stream of Pods of about 20 MiB.
func bigStream() []byte {
	var b bytes.Buffer
	pad := strings.Repeat("x", 1800)
	for i := 0; b.Len() < 20<<20; i++ {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p%d\n  annotations:\n    pad: %s\nspec:\n  containers:\n    - name: c\n      image: docker.io/library/nginx:1.27\n", i, pad)
	}
	return b.Bytes()
}

// spoolCommand runs helm-airgap rewrite with a private TMPDIR.
func spoolCommand(t *testing.T) (*exec.Cmd, string) {
	if runtime.GOOS != "linux" {
		t.Skip("watches /proc for the temporary file")
	}
	tmp := t.TempDir()
	cmd := exec.Command(cliBinary, "rewrite", "--mirror", "registry.internal.example.com/m", "--report-file", "off")
	cmd.Env = append(cleanEnv(t), "TMPDIR="+tmp)
	return cmd, tmp
}

// assertNothingLeft fails when the temporary directory holds anything.
func assertNothingLeft(t *testing.T, tmp string) {
	t.Helper()
	entries, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, _ := e.Info()
		t.Errorf("left behind: %s (%d bytes)", e.Name(), info.Size())
	}
}

func TestSpoolRemovedWhenTheReaderStops(t *testing.T) {
	cmd, tmp := spoolCommand(t)
	cmd.Stdin = bytes.NewReader(bigStream())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 10) // | head -c 10
	if _, err := io.ReadFull(out, head); err != nil {
		t.Fatal(err)
	}
	out.Close()
	cmd.Wait() // a broken pipe: the exit status is the system's
	assertNothingLeft(t, tmp)
}

func TestSpoolRemovedOnSignal(t *testing.T) {
	stream := bigStream()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, tmp := spoolCommand(t)
			in, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The whole stream, and stdin left open: the run waits for more
			// with the output spooled to its temporary file.
			if _, err := in.Write(stream); err != nil {
				t.Fatal(err)
			}
			if !waitForOpenFile(cmd.Process.Pid, tmp) {
				cmd.Process.Kill()
				t.Fatalf("the run never opened a temporary file in %s; stderr:\n%s", tmp, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			in.Close()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 128+int(sig) {
				t.Errorf("exit %v, want %d (128+%s)", err, 128+int(sig), sig)
			}
			if want := "interrupted by " + signalName(sig) + "; nothing was written to stdout"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("stdout holds %d bytes", stdout.Len())
			}
			assertNothingLeft(t, tmp)
		})
	}
}

func signalName(sig syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP"}[sig]
}

// waitForOpenFile waits until process pid holds a file under dir open (its
// spool), or until it has exited; it polls /proc, which is a wait for a
// condition, not a measurement.
func waitForOpenFile(pid int, dir string) bool {
	fds := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		entries, err := os.ReadDir(fds)
		if err != nil {
			return false
		}
		for _, e := range entries {
			if target, err := os.Readlink(filepath.Join(fds, e.Name())); err == nil && strings.HasPrefix(target, dir+string(filepath.Separator)) {
				return true
			}
		}
	}
	return false
}

// TestOutputDirStagingRemovedOnSignal: a signal while --output-dir is
// rewriting files removes the temporary outputs it staged, and writes none
// of the outputs.
func TestOutputDirStagingRemovedOnSignal(t *testing.T) {
	dir := t.TempDir()
	stream := bigStream()
	for _, name := range []string{"a.yaml", "b.yaml"} {
		writeFile(t, filepath.Join(dir, "in", name), string(stream))
	}
	cmd := exec.Command(cliBinary, "rewrite", "--mirror", "registry.internal.example.com/m", "--report-file", "off", "--output-dir", "out", "in")
	cmd.Dir = dir
	cmd.Env = cleanEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	staged := func() bool {
		found := false
		filepath.WalkDir(filepath.Join(dir, "out"), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				found = true
			}
			return nil
		})
		return found
	}
	deadline := time.Now().Add(20 * time.Second)
	for !staged() && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if !staged() {
		cmd.Process.Kill()
		t.Fatalf("no staged output appeared; stderr:\n%s", stderr.String())
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stderr:\n%s", err, stderr.String())
	}
	filepath.WalkDir(filepath.Join(dir, "out"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			t.Errorf("left behind after SIGINT: %s", path)
		}
		return nil
	})
}
