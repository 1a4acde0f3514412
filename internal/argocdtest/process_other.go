//go:build !linux

package argocdtest

import "os/exec"

// dieWithParent is Linux's parent-death signal; elsewhere the test's
// cleanup alone stops the server.
func dieWithParent(*exec.Cmd) {}
