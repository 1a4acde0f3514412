//go:build !linux

package controlplane

import "os/exec"

// dieWithParent has no portable equivalent of Linux's parent-death signal:
// elsewhere only Main's stop ends the processes.
func dieWithParent(*exec.Cmd) {}
