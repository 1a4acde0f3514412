package helmtest

import (
	"bytes"
	"os/exec"
	"time"
)

// RunWithTerminal runs helm like Run, but in a session whose controlling
// terminal is a pseudo-terminal, as when a person runs it; stdout and
// stderr stay pipes, so Result.Terminal holds only what was written to
// /dev/tty itself.
func (h *Helm) RunWithTerminal(dir string, args ...string) Result {
	h.t.Helper()
	cmd := h.Command(dir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	terminal, err := WithTerminal(cmd, false)
	r := h.result(cmd, err, stdout.String(), stderr.String(), time.Since(start))
	r.Terminal = terminal
	return r
}

// WithTerminal runs cmd in a new session whose controlling terminal is a
// fresh pseudo-terminal and returns what was written to that terminal, with
// its CRLF turned back into LF. stdin, stdout and stderr stay as the caller
// set them, except that stderrIsTerminal connects stderr to the terminal,
// as in an interactive shell. It is supported where TerminalSupported says.
func WithTerminal(cmd *exec.Cmd, stderrIsTerminal bool) (string, error) {
	return runWithTerminal(cmd, stderrIsTerminal)
}
