package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plexicus/helm-airgap/internal/atomicfile"
	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// Failures people can see.
//
// Helm 4 runs a post-renderer plugin with its stderr captured into a buffer
// that it throws away: a failing run shows only `plugin
// "airgap-postrenderer" exited with error`. Helm 3 shows stderr when a
// post-renderer fails but discards it when one succeeds, so a warning never
// reaches anyone. So besides stderr, a failure is written to a report file
// (whose path the last stderr line names) and, when the process has a
// controlling terminal that stderr is not already writing to, to that
// terminal.

const (
	// reportEnv names the report file when --report-file is not given.
	reportEnv = "HELM_AIRGAP_REPORT"
	// reportOff disables the report file.
	reportOff = "off"
	// reportFlag is the flag naming the report file.
	reportFlag = "report-file"
	// noHookWarningEnv silences the Helm 3 post-renderer warning.
	noHookWarningEnv = "HELM_AIRGAP_NO_HOOK_WARNING"
	// maxCaptured bounds how much stderr a report keeps.
	maxCaptured = 1 << 20
)

// ttyPath is the controlling terminal; tests point it elsewhere.
var ttyPath = "/dev/tty"

func addReportFlag(f *pflag.FlagSet) {
	f.String(reportFlag, "", `file a failure's report is written to, besides stderr and the terminal (default $`+reportEnv+`, else `+defaultReportPathHelp+`; "`+reportOff+`" writes none)`)
}

const defaultReportPathHelp = "<user cache dir>/helm-airgap/report.txt"

// defaultReportPath is where a report goes when neither the flag nor the
// environment names a file: per user, so that no other user can plant a
// symlink there, and stable, so the README can tell people where to look.
func defaultReportPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "helm-airgap", "report.txt")
}

// reportPath is the report file for this run, or "" when disabled.
func reportPath(cmd *cobra.Command) string {
	path := ""
	if f := cmd.Flags().Lookup(reportFlag); f != nil {
		path = f.Value.String()
	}
	if path == "" {
		path = os.Getenv(reportEnv)
	}
	if path == "" {
		path = defaultReportPath()
	}
	if path == reportOff {
		return ""
	}
	return path
}

// failureReport records what a run writes to stderr so that, if the run
// fails, the same text can go to the report file and the terminal.
type failureReport struct {
	cmd       *cobra.Command
	stderr    io.Writer
	captured  bytes.Buffer
	checkOnly bool
}

// captureFailures starts recording cmd's stderr. Call finish with the run's
// error when it returns.
func captureFailures(cmd *cobra.Command, checkOnly bool) *failureReport {
	r := &failureReport{cmd: cmd, stderr: cmd.ErrOrStderr(), checkOnly: checkOnly}
	cmd.SetErr(capturing{io.MultiWriter(r.stderr, limitedWriter{&r.captured, maxCaptured}), r.stderr})
	return r
}

// capturing is stderr while a run's failures are captured: it writes to
// stderr and the capture, and unwraps to stderr, so that the messages'
// reporter (cli.Messages) and the terminal check (cli.File) find it.
type capturing struct {
	io.Writer
	stderr io.Writer
}

func (c capturing) Unwrap() io.Writer { return c.stderr }

// finish writes the report of a failed run and returns the error to exit
// with, naming the report file. After a successful run it removes the
// report file, so that it never describes an older failure, and after a
// successful Helm 3 post-render it shows the hooks warning on the terminal.
func (r *failureReport) finish(err error) error {
	r.cmd.SetErr(r.stderr)
	helm3 := runByHelm3PostRenderer()
	path := reportPath(r.cmd)
	if err == nil {
		if path != "" {
			removeReportFile(path)
		}
		if helm3 && !r.checkOnly && os.Getenv(noHookWarningEnv) == "" && cli.Messages(r.stderr).Enabled(cli.LevelWarn) {
			r.toTerminal(helm3HooksWarning)
		}
		return nil
	}
	alreadyPrinted := cli.IsReported(err)
	text := r.captured.String()
	if !alreadyPrinted {
		text += "helm-airgap: " + err.Error() + "\n"
	}
	if path != "" {
		if werr := writeReportFile(path, r.cmd, text); werr != nil {
			fmt.Fprintf(r.stderr, "helm-airgap: could not write the report file %q: %v\n", path, werr)
			path = ""
		}
	}
	// The file is named only where it is needed: run as a Helm plugin
	// (Helm 4 keeps a plugin's stderr from the user) with stderr not on a
	// terminal. A shell user reads stderr and needs no file.
	announce := path != "" && !helm3 && os.Getenv("HELM_PLUGIN_NAME") != "" && !r.stderrIsTerminal()
	// Helm 3 prints a failing post-renderer's stderr itself. Helm 4 throws
	// a plugin's stderr away: the report goes to Helm's own stderr (the CI
	// log), else to the terminal.
	if !helm3 {
		shown := text
		if announce {
			shown += fmt.Sprintf("helm-airgap: report written to %q\n", path)
		}
		if !r.toHelm(shown) {
			r.toTerminal(shown)
		}
	}
	switch {
	case alreadyPrinted && announce:
		fmt.Fprintf(r.stderr, "helm-airgap: %s (report: %q)\n", summary(err), path)
	case alreadyPrinted:
		fmt.Fprintf(r.stderr, "helm-airgap: %s\n", summary(err))
	case announce:
		return reportPathError{err: err, path: path}
	}
	return err
}

// stderrIsTerminal reports whether stderr is a terminal, where the user
// reads the report as it is written.
func (r *failureReport) stderrIsTerminal() bool {
	f := cli.File(r.stderr)
	return f != nil && term.IsTerminal(int(f.Fd()))
}

// toHelm appends text to Helm's own stderr when Helm runs this process as a
// plugin and this process's stderr is not Helm's (Helm 4 captures it and
// never prints it). It reports whether it did.
func (r *failureReport) toHelm(text string) bool {
	if !runByHelmPlugin() {
		return false
	}
	f, ok := openParentStderr()
	if !ok {
		return false
	}
	defer f.Close()
	_, err := io.WriteString(f, text)
	return err == nil
}

// removeReportFile removes the report of an earlier failure. Only a report
// is removed: a file that does not start as writeReportFile starts its
// reports is left alone.
func removeReportFile(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	head := make([]byte, len(reportHeader))
	n, _ := io.ReadFull(f, head)
	f.Close()
	if string(head[:n]) == reportHeader {
		os.Remove(path)
	}
}

const helm3HooksWarning = `helm-airgap: warning: Helm 3 does not pass hooks (helm.sh/hook resources) to a
post-renderer: hook Jobs and test Pods keep their public images. Use
"helm airgap install|upgrade|template" instead, which rewrite hooks too.
(` + noHookWarningEnv + `=1 silences this warning.)
`

// summary is the one-line reason of an error whose details were printed.
func summary(err error) string {
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		return "failed: " + policy.Error()
	}
	return "failed: " + strings.SplitN(err.Error(), "\n", 2)[0]
}

// reportPathError adds the report file to the message main prints, keeping
// the wrapped error (and so the exit code) intact.
type reportPathError struct {
	err  error
	path string
}

func (e reportPathError) Error() string { return fmt.Sprintf("%v (report: %q)", e.err, e.path) }
func (e reportPathError) Unwrap() error { return e.err }

// reportHeader starts every report file.
const reportHeader = "# helm-airgap report, "

// writeReportFile replaces the report file with this run's report.
func writeReportFile(path string, cmd *cobra.Command, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s\n", reportHeader, time.Now().Format(time.RFC3339))
	command := []string{cmd.CommandPath()}
	for _, arg := range os.Args[min(2, len(os.Args)):] {
		command = append(command, strconv.Quote(arg)) // quoted: an argument may hold a line break
	}
	fmt.Fprintf(&b, "# command: %s\n", strings.Join(command, " "))
	if wd, err := os.Getwd(); err == nil {
		fmt.Fprintf(&b, "# directory: %q\n", wd)
	}
	if name := os.Getenv("HELM_PLUGIN_NAME"); name != "" {
		fmt.Fprintf(&b, "# run by Helm as plugin %q\n", name)
	}
	b.WriteString(text)
	// Staged and renamed, so a reader never sees half a report.
	return atomicfile.Write(path, []byte(b.String()), atomicfile.Options{Pattern: ".report-*"})
}

// toTerminal writes text to the controlling terminal, unless there is none
// or stderr already goes to a terminal (the user has read it there).
func (r *failureReport) toTerminal(text string) {
	if r.stderrIsTerminal() {
		return
	}
	tty, err := os.OpenFile(ttyPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return // no controlling terminal: CI, Argo CD, a daemon
	}
	defer tty.Close()
	io.WriteString(tty, text)
}

// limitedWriter keeps the first n bytes and drops the rest silently, so a
// runaway stderr cannot grow the report without bound.
type limitedWriter struct {
	buf *bytes.Buffer
	n   int
}

func (w limitedWriter) Write(p []byte) (int, error) {
	if room := w.n - w.buf.Len(); room > 0 {
		w.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
