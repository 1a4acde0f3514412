//go:build !linux

package testproc

import "os/exec"

// dieWithParent has no portable equivalent of Linux's parent-death signal:
// elsewhere only the test's own Stop ends the process.
func dieWithParent(*exec.Cmd) {}
