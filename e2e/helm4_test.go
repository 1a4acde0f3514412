package e2e

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
)

// postRender is how users name the Helm 4 post-renderer plugin.
func postRender(config string) []string {
	return []string{"--post-renderer", "airgap-postrenderer", "--post-renderer-args=--config=" + config}
}

func TestHelm4Template(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	plain := h.MustRun(f.dir, "template", release, f.chart)
	r := h.MustRun(f.dir, append([]string{"template", release, f.chart}, postRender(f.config)...)...)
	assertMirrored(t, podImages(decodeStream(t, r.Stdout)))

	// Helm 4 splits the post-rendered stream back into files by the
	// postrender-filename annotation: had helm-airgap dropped one, its
	// document would come back as generated-by-postrender-N.yaml.
	if got, want := sources(r.Stdout), sources(plain.Stdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("# Source: lines differ from plain helm template:\n got  %q\n want %q", got, want)
	}
	if strings.Contains(r.Stdout, "postrenderer.helm.sh/postrender-filename") {
		t.Error("the postrender-filename annotation leaked into the output: Helm did not find it where it looks")
	}
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.*)$`)

func sources(stream string) []string {
	var out []string
	for _, m := range sourceLine.FindAllStringSubmatch(stream, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestHelm4InstallDryRunClient(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	// No cluster: KUBECONFIG points at nothing.
	r := h.MustRun(f.dir, append([]string{"install", release, f.chart, "--dry-run=client"}, postRender(f.config)...)...)
	assertMirrored(t, podImages(decodeStream(t, releaseSections(t, r.Stdout))))
}

// TestHelm4InstallIntoCluster: Helm 4 post-renders hooks itself, so the
// plugin alone puts every pod spec on the mirror, and a plain `helm
// rollback` replays the rewritten revision.
func TestHelm4InstallIntoCluster(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	c := newCluster(t, h)
	h.MustRun(f.dir, append([]string{"install", release, f.chart, "--timeout=5m"}, postRender(f.config)...)...)
	assertMirrored(t, c.stored(t))
	h.MustRun(f.dir, append([]string{"upgrade", release, f.chart, "--timeout=5m"}, postRender(f.config)...)...)
	h.MustRun(f.dir, "rollback", release, "1", "--timeout=5m")
	assertMirrored(t, c.stored(t))
	if n := count(c.ran(), hookJob); n != 3 {
		t.Errorf("%s ran %d time(s), want for the install, the upgrade and the rollback", hookJob, n)
	}
	assertAllMirrored(t, "the Jobs and Pods run", c.ran())
}

// TestHelm4UnmappedHookCreatesNothing: Helm 4 post-renders hooks with the
// manifests, so a public image only in a hook fails the install before
// anything reaches the API server.
func TestHelm4UnmappedHookCreatesNothing(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	c := newCluster(t, h)
	r := h.Run(f.dir, append([]string{"install", release, f.chart, "--timeout=5m",
		"--set", "sidecar.image=registry.internal.example.com/mirror/library/nginx:1.27.3-alpine",
		"--set", "migrations.image=ghcr.io/example/migrations:1.0"}, postRender(f.strict)...)...)
	want := "Job platform-migrations: container migrations (spec.template.spec.containers[0].image): ghcr.io/example/migrations:1.0"
	if report := readFile(t, h.Report); r.Code == 0 || !strings.Contains(report, want) {
		t.Errorf("exit %d, report:\n%s\nstderr:\n%s", r.Code, report, r.Stderr)
	}
	c.assertEmpty(t, "the failed install")
}

// TestHelm4UnmappedImageFailsVisibly: Helm 4 captures a post-renderer
// plugin's stderr and never prints it, so helm-airgap appends its report to
// Helm's own stderr: in a pipeline with no terminal (CI), the captured
// stderr names the offending image and its resource, above Helm's error.
func TestHelm4UnmappedImageFailsVisibly(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	offender := "Deployment platform-web: container proxy (spec.template.spec.containers[1].image): docker.io/library/nginx:1.27.3-alpine"
	for _, args := range [][]string{
		append([]string{"template", release, f.chart}, postRender(f.strict)...),
		append([]string{"install", release, f.chart, "--dry-run=client"}, postRender(f.strict)...),
	} {
		r := runWithoutTerminal(t, h, f.dir, args...)
		if r.Code == 0 || r.Stdout != "" {
			t.Fatalf("helm %s succeeded or printed with an unmapped image (exit %d):\n%s", args[0], r.Code, r.Stdout)
		}
		report := strings.Index(r.Stderr, offender)
		helmError := strings.Index(r.Stderr, `plugin "airgap-postrenderer" exited with error`)
		if report < 0 || helmError < report {
			t.Errorf("helm %s: stderr does not name the offender above Helm's error:\n%s", args[0], r.Stderr)
		}
		if !strings.Contains(r.Stderr, fmt.Sprintf("report written to %q", h.Report)) {
			t.Errorf("helm %s: stderr does not name the report file:\n%s", args[0], r.Stderr)
		}
		if text := readFile(t, h.Report); !strings.Contains(text, offender) || !strings.Contains(text, "# command: ") {
			t.Errorf("helm %s: the report file does not hold this run's report:\n%s", args[0], text)
		}
	}
	// A successful run removes the report: it never describes an older failure.
	h.MustRun(f.dir, append([]string{"template", release, f.chart}, postRender(f.config)...)...)
	if _, err := os.Stat(h.Report); !os.IsNotExist(err) {
		t.Errorf("the report of the failed run outlived a successful one (%v)", err)
	}
}

// runWithoutTerminal runs helm in a pipeline with no controlling terminal.
func runWithoutTerminal(t *testing.T, h *helmtest.Helm, dir string, args ...string) helmtest.Result {
	t.Helper()
	cmd := h.Command(dir, args...)
	detach(cmd)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := helmtest.Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.Code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// TestHelm4FailureOnTheTerminal: with a terminal and Helm's stderr reached,
// the report is not written twice.
func TestHelm4FailureOnTheTerminal(t *testing.T) {
	if !helmtest.TerminalSupported() {
		if runtime.GOOS == "linux" {
			t.Fatal("no pseudo-terminal")
		}
		t.Skip("no pseudo-terminal here")
	}
	f := newFixture(t)
	h := newHelm(t, 4)
	r := h.RunWithTerminal(f.dir, append([]string{"template", release, f.chart}, postRender(f.strict)...)...)
	offender := "docker.io/library/nginx:1.27.3-alpine"
	if r.Code == 0 || strings.Count(r.Stderr+r.Terminal, "container proxy (spec.template.spec.containers[1].image): "+offender) != 1 {
		t.Errorf("exit %d; want the offender shown once:\nstderr:\n%s\nterminal:\n%s", r.Code, r.Stderr, r.Terminal)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(data)
}

// TestHelm4StderrToAFile: Helm's stderr redirected to a file ("2> log")
// is written at Helm's own offset, so an appended report would be
// overwritten by Helm's next line and garble the log: helm-airgap leaves
// such a file alone (the report file holds the report). A file opened for
// appending ("2>> log") gets the report above Helm's error, as a pipe does.
func TestHelm4StderrToAFile(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	args := append([]string{"template", release, f.chart}, postRender(f.strict)...)
	offender := "container proxy (spec.template.spec.containers[1].image): docker.io/library/nginx:1.27.3-alpine"
	for _, tc := range []struct {
		name       string
		flag       int
		wantReport bool
	}{
		{"truncating", os.O_CREATE | os.O_WRONLY | os.O_TRUNC, false},
		{"appending", os.O_CREATE | os.O_WRONLY | os.O_APPEND, true},
	} {
		path := filepath.Join(t.TempDir(), "helm.log")
		log, err := os.OpenFile(path, tc.flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		cmd := h.Command(f.dir, args...)
		detach(cmd)
		cmd.Stdout, cmd.Stderr = io.Discard, log
		if err := cmd.Run(); err == nil {
			t.Fatalf("%s: helm succeeded with an unmapped image", tc.name)
		}
		log.Close()
		text := readFile(t, path)
		if !strings.HasPrefix(text, "Error: ") && !tc.wantReport {
			t.Errorf("%s: the log does not start with Helm's own error (garbled?):\n%s", tc.name, text)
		}
		if got := strings.Contains(text, offender); got != tc.wantReport {
			t.Errorf("%s: report in the log = %v, want %v:\n%s", tc.name, got, tc.wantReport, text)
		}
		if !tc.wantReport && strings.Contains(text, "helm-airgap") {
			t.Errorf("%s: pieces of an overwritten report are left in the log:\n%s", tc.name, text)
		}
	}
}
