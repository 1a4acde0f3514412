package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
)

// The failure report (report.go), on the real binary.

const publicOffender = "Deployment prod/api: container api (spec.template.spec.containers[0].image): ghcr.io/org/api:1"

// asPlugin is the environment of a run by Helm as a plugin (Helm 4 runs
// post-renderers only as plugins), where stderr may never reach the user
// and the report file is named.
const asPlugin = "HELM_PLUGIN_NAME=airgap-postrenderer"

func TestReportFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	writeFile(t, filepath.Join(dir, "public.yaml"), cliPublic)
	writeFile(t, filepath.Join(dir, "broken.yaml"), "kind: Pod\nspec: {containers: [{image: x}]\n")
	flagPath := filepath.Join(dir, "flag", "report.txt")
	envPath := filepath.Join(dir, "env", "report.txt")
	for _, tc := range []struct {
		name     string
		env      []string
		args     []string
		code     int
		report   string // where the report must be; "" for none
		contains []string
	}{
		{"policy failure, --report-file", []string{asPlugin},
			[]string{"rewrite", "-c", "rules.yaml", "--report-file", flagPath, "public.yaml"}, 1, flagPath,
			[]string{publicOffender, "hint: add a rule"}},
		{"policy failure, $HELM_AIRGAP_REPORT", []string{asPlugin, "HELM_AIRGAP_REPORT=" + envPath},
			[]string{"check", "-c", "rules.yaml", "public.yaml"}, 1, envPath,
			[]string{publicOffender}},
		{"the flag wins over the environment", []string{asPlugin, "HELM_AIRGAP_REPORT=" + envPath},
			[]string{"rewrite", "-c", "rules.yaml", "--report-file", flagPath, "public.yaml"}, 1, flagPath,
			[]string{publicOffender}},
		{"input error", []string{asPlugin},
			[]string{"rewrite", "--mirror", "r.internal/m", "--report-file", flagPath, "broken.yaml"}, 2, flagPath,
			[]string{"helm-airgap: ", "line"}},
		{"config error", []string{asPlugin},
			[]string{"rewrite", "-c", "missing.yaml", "--report-file", flagPath, "public.yaml"}, 2, flagPath,
			[]string{"missing.yaml"}},
		{"off", []string{asPlugin, "HELM_AIRGAP_REPORT=off"},
			[]string{"rewrite", "-c", "rules.yaml", "public.yaml"}, 1, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.RemoveAll(filepath.Dir(flagPath))
			os.RemoveAll(filepath.Dir(envPath))
			r := runCLI(t, dir, tc.env, "", tc.args...)
			r.want(t, tc.code)
			last := lastLine(r.stderr)
			if tc.report == "" {
				if strings.Contains(r.stderr, "(report: ") {
					t.Errorf("a report was announced with the report file off:\n%s", r.stderr)
				}
				return
			}
			if !strings.HasSuffix(last, fmt.Sprintf("(report: %q)", tc.report)) {
				t.Errorf("the last stderr line does not name %s: %q", tc.report, last)
			}
			text := readFile(t, tc.report)
			if !strings.HasPrefix(text, "# helm-airgap report, ") || !strings.Contains(text, "# command: helm-airgap "+tc.args[0]+" ") {
				t.Errorf("the report has no header:\n%s", text)
			}
			for _, s := range tc.contains {
				if !strings.Contains(text, s) {
					t.Errorf("the report lacks %q:\n%s", s, text)
				}
			}
			// Everything stderr said before the last line is in the report.
			if before := strings.TrimSuffix(r.stderr, last+"\n"); tc.code == 1 && !strings.Contains(text, before) {
				t.Errorf("the report lacks stderr's text:\n%s\nstderr:\n%s", text, r.stderr)
			}
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestReportFileDefaultPath(t *testing.T) {
	dir := t.TempDir()
	cache := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	r := runCLI(t, dir, []string{asPlugin, "XDG_CACHE_HOME=" + cache}, cliPublic, "rewrite", "-c", "rules.yaml")
	r.want(t, 1)
	want := filepath.Join(cache, "helm-airgap", "report.txt")
	if !strings.Contains(readFile(t, want), publicOffender) {
		t.Errorf("%s does not hold the report", want)
	}
	if !strings.HasSuffix(lastLine(r.stderr), fmt.Sprintf("(report: %q)", want)) {
		t.Errorf("stderr does not name %s:\n%s", want, r.stderr)
	}
}

// TestReportFileNamedOnlyWhereNeeded: run from a shell, whose user reads
// stderr, a failure (a typo in the config's name, offenders) still writes
// the report but does not name it after the error.
func TestReportFileNamedOnlyWhereNeeded(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.txt")
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	for _, tc := range []struct {
		args []string
		code int
		last string
	}{
		{[]string{"rewrite", "-c", "rules.yml", "--report-file", report}, 2, "rules.yml"},
		{[]string{"check", "-c", "rules.yaml", "--report-file", report}, 1, "helm-airgap: failed: 3 image reference(s) not on the mirror or an allowed registry"},
	} {
		os.Remove(report)
		r := runCLI(t, dir, nil, cliPublic, tc.args...)
		r.want(t, tc.code)
		if strings.Contains(r.stderr, "(report: ") || strings.Contains(r.stderr, "report written to") {
			t.Errorf("%v: the report file was named to a shell user:\n%s", tc.args, r.stderr)
		}
		if last := lastLine(r.stderr); !strings.Contains(last, tc.last) {
			t.Errorf("%v: last line %q, want it to hold %q", tc.args, last, tc.last)
		}
		if !strings.HasPrefix(readFile(t, report), reportHeader) {
			t.Errorf("%v: no report file written", tc.args)
		}
	}
}

func TestReportFileNotOnSuccess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.txt")
	runCLI(t, dir, nil, cliPod, "rewrite", "--mirror", "registry.internal.example.com/m", "--report-file", path).want(t, 0)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a successful run wrote %s (%v)", path, err)
	}
}

// TestReportFileRemovedOnSuccess: a successful run removes the report of an
// earlier failure, which could otherwise be mistaken for the current one;
// a file that is not a report is left alone.
func TestReportFileRemovedOnSuccess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.txt")
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	runCLI(t, dir, nil, cliPublic, "rewrite", "-c", "rules.yaml", "--report-file", path).want(t, 1)
	if !strings.Contains(readFile(t, path), publicOffender) {
		t.Fatal("the failure wrote no report")
	}
	runCLI(t, dir, nil, cliPod, "check", "--mirror", "docker.io", "--report-file", path)
	runCLI(t, dir, nil, cliPod, "rewrite", "--mirror", "registry.internal.example.com/m", "--report-file", path).want(t, 0)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the report of the earlier failure is still there (%v)", err)
	}
	notReport := writeFile(t, filepath.Join(dir, "notes.txt"), "my notes\n")
	runCLI(t, dir, nil, cliPod, "rewrite", "--mirror", "registry.internal.example.com/m", "--report-file", notReport).want(t, 0)
	if readFile(t, notReport) != "my notes\n" {
		t.Error("a file that is not a report was removed or changed")
	}
}

func TestReportFileUnwritable(t *testing.T) {
	dir := t.TempDir()
	blocker := writeFile(t, filepath.Join(dir, "file"), "x")
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	r := runCLI(t, dir, nil, cliPublic, "rewrite", "-c", "rules.yaml", "--report-file", filepath.Join(blocker, "report.txt"))
	r.want(t, 1, publicOffender, "could not write the report file")
	if strings.Contains(r.stderr, "(report: ") {
		t.Errorf("an unwritten report was announced:\n%s", r.stderr)
	}
}

// fakeHelm3 stands in for Helm 3 running a post-renderer: a shell whose own
// command line carries --post-renderer, running helm-airgap with the
// arguments after "--" (and staying its parent: no exec).
const fakeHelm3 = `while [ "$1" != "--" ]; do shift; done
shift
"$@"
exit $?
`

// terminalRun runs the binary in a session whose controlling terminal is a
// pseudo-terminal, under fakeHelm3 when asHelm3 is set, and returns the
// result and what reached the terminal.
func terminalRun(t *testing.T, dir string, env []string, stdin string, stderrIsTerminal, asHelm3 bool, args ...string) (result, string) {
	t.Helper()
	if !helmtest.TerminalSupported() {
		if runtime.GOOS == "linux" {
			t.Fatal("no pseudo-terminal (/dev/ptmx): the terminal output cannot be checked")
		}
		t.Skip("pseudo-terminals are only driven on Linux")
	}
	cmd := exec.Command(cliBinary, args...)
	if asHelm3 {
		script := writeFile(t, filepath.Join(t.TempDir(), "helm"), fakeHelm3)
		cmd = exec.Command("sh", append([]string{script, "template", "app", "./chart", "--post-renderer", cliBinary, "--", cliBinary}, args...)...)
	}
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(t), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	terminal, err := helmtest.WithTerminal(cmd, stderrIsTerminal)
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{stdout.String(), stderr.String(), code}, terminal
}

func TestReportOnTerminal(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	report := filepath.Join(dir, "report.txt")
	fail := []string{"rewrite", "-c", "rules.yaml", "--report-file", report}
	ok := []string{"rewrite", "--mirror", "registry.internal.example.com/m"}
	const warning = "Helm 3 does not pass hooks"
	for _, tc := range []struct {
		name             string
		env              []string
		stdin            string
		stderrIsTerminal bool
		asHelm3          bool
		args             []string
		code             int
		// How often the offender, the report path line and the warning
		// must reach the terminal.
		offender, path, warning int
	}{
		// Helm 4 hides stderr: the terminal gets the whole report.
		{"stderr hidden", []string{"HELM_PLUGIN_NAME=airgap-postrenderer"}, cliPublic, false, false, fail, 1, 1, 1, 0},
		// A shell user reads stderr on the terminal already: no copy.
		{"stderr on the terminal", nil, cliPublic, true, false, fail, 1, 1, 0, 0},
		// Helm 3 prints a failing post-renderer's stderr itself: no copy.
		{"Helm 3 failure", nil, cliPublic, false, true, fail, 1, 0, 0, 0},
		// Helm 3 drops stderr on success: the hooks warning goes to the terminal.
		{"Helm 3 success", nil, cliPod, false, true, ok, 0, 0, 0, 1},
		{"Helm 3 success, warning silenced", []string{"HELM_AIRGAP_NO_HOOK_WARNING=1"}, cliPod, false, true, ok, 0, 0, 0, 0},
		// HELM_PLUGIN_NAME: Helm 4 (or a CLI plugin), not a Helm 3 post-renderer.
		{"Helm 4 success", []string{"HELM_PLUGIN_NAME=airgap-postrenderer"}, cliPod, false, true, ok, 0, 0, 0, 0},
		{"plain pipe success", nil, cliPod, false, false, ok, 0, 0, 0, 0},
		{"check under Helm 3", nil, cliPodRewritten, false, true, []string{"check", "--mirror", "registry.internal.example.com/m"}, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, terminal := terminalRun(t, dir, tc.env, tc.stdin, tc.stderrIsTerminal, tc.asHelm3, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s\nterminal:\n%s", r.code, tc.code, r.stderr, terminal)
			}
			for _, c := range []struct {
				what string
				want int
			}{{publicOffender, tc.offender}, {fmt.Sprintf("helm-airgap: report written to %q", report), tc.path}, {warning, tc.warning}} {
				if got := strings.Count(terminal, c.what); got != c.want {
					t.Errorf("%q reached the terminal %d time(s), want %d; terminal:\n%s", c.what, got, c.want, terminal)
				}
			}
		})
	}
}

// cleanEnv is the caller's environment without helm-airgap or Helm
// settings, with failure reports kept out of the user's cache.
func cleanEnv(t *testing.T) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "ARGOCD_") {
			env = append(env, kv)
		}
	}
	return append(env, "XDG_CACHE_HOME="+t.TempDir())
}
