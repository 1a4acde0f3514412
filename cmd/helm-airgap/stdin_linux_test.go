package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/helmtest"
)

// TestStdinTerminalNotice: waiting for manifests typed on a terminal says
// so on stderr; the stream typed is still rewritten.
func TestStdinTerminalNotice(t *testing.T) {
	master, slave, err := helmtest.OpenPTY()
	if err != nil {
		t.Fatalf("no pseudo-terminal: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(cliBinary, "rewrite", "--mirror", "registry.internal.example.com/m")
	cmd.Stdin = slave
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(cmd.Environ(), "HOME="+t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	time.Sleep(200 * time.Millisecond)
	master.Write([]byte("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx}]}\n\x04"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("rewrite: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "reading manifests from standard input") {
		t.Errorf("stderr does not say it reads a terminal:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "registry.internal.example.com/m/library/nginx") {
		t.Errorf("the typed stream was not rewritten:\n%s", stdout.String())
	}
	if r := runCLI(t, t.TempDir(), nil, "kind: Pod\nmetadata: {name: p}\n", "rewrite", "--mirror", "registry.internal.example.com/m"); strings.Contains(r.stderr, "standard input") {
		t.Errorf("a piped stream got the terminal notice:\n%s", r.stderr)
	}
}
