package helmtest

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

// Helm is one real Helm binary with a home of its own.
type Helm struct {
	Major int    // 3 or 4
	Path  string // the binary
	Home  string // temporary root of the homes
	// Report is the helm-airgap report file runs write ($HELM_AIRGAP_REPORT).
	Report string
	env    map[string]string
	t      testing.TB
}

// New returns Helm major (3 or 4) in a fresh home under t.TempDir().
func New(t testing.TB, major int) *Helm {
	t.Helper()
	tool := map[int]string{3: testtool.Helm3, 4: testtool.Helm4}[major]
	if tool == "" {
		t.Fatalf("helmtest: no Helm %d", major)
	}
	home := t.TempDir()
	h := &Helm{Major: major, Path: testtool.Tool(t, tool), Home: home, t: t, env: map[string]string{}}
	h.Report = filepath.Join(home, "report.txt")
	for k, v := range map[string]string{
		"HELM_CONFIG_HOME":   filepath.Join(home, "config"),
		"HELM_DATA_HOME":     filepath.Join(home, "data"),
		"HELM_CACHE_HOME":    filepath.Join(home, "cache"),
		"KUBECONFIG":         filepath.Join(home, "no-kubeconfig"),
		"XDG_CACHE_HOME":     filepath.Join(home, "xdg-cache"),
		"HELM_AIRGAP_REPORT": h.Report,
	} {
		h.env[k] = v
	}
	return h
}

// Setenv sets a variable for every later run.
func (h *Helm) Setenv(key, value string) { h.env[key] = value }

// Environ is the environment runs get: the test's own, minus anything that
// would reach the user's Helm or helm-airgap settings, plus the homes.
func (h *Helm) Environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "HELM_") || k == "KUBECONFIG" || k == "XDG_CACHE_HOME" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range h.env {
		env = append(env, k+"="+v)
	}
	return env
}

// Result is a finished run.
type Result struct {
	Stdout, Stderr string
	Code           int
	Duration       time.Duration
	Terminal       string // what reached the controlling terminal (RunWithTerminal)
}

// Command is an exec.Cmd for helm with args, run in dir.
func (h *Helm) Command(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(h.Path, args...)
	cmd.Dir = dir
	cmd.Env = h.Environ()
	return cmd
}

// Run runs helm with args in dir.
func (h *Helm) Run(dir string, args ...string) Result {
	h.t.Helper()
	cmd := h.Command(dir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	return h.result(cmd, err, stdout.String(), stderr.String(), time.Since(start))
}

func (h *Helm) result(cmd *exec.Cmd, err error, stdout, stderr string, d time.Duration) Result {
	h.t.Helper()
	r := Result{Stdout: stdout, Stderr: stderr, Duration: d}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		h.t.Fatalf("running %s: %v", strings.Join(cmd.Args, " "), err)
	}
	h.t.Logf("helm%d %s: exit %d in %v", h.Major, strings.Join(cmd.Args[1:], " "), r.Code, d.Round(time.Millisecond))
	return r
}

// MustRun runs helm and fails the test unless it exits 0.
func (h *Helm) MustRun(dir string, args ...string) Result {
	h.t.Helper()
	r := h.Run(dir, args...)
	if r.Code != 0 {
		h.t.Fatalf("helm%d %s: exit %d\nstdout:\n%s\nstderr:\n%s", h.Major, strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r
}
