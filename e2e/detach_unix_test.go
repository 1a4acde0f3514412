//go:build unix

package e2e

import (
	"os/exec"
	"syscall"
)

// detach runs cmd in a new session: it has no controlling terminal, as in
// CI, even when the tests run from one.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }
