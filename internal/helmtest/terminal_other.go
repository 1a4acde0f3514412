//go:build !linux

package helmtest

import (
	"errors"
	"os/exec"
)

// TerminalSupported says whether RunWithTerminal works here.
func TerminalSupported() bool { return false }

func runWithTerminal(*exec.Cmd, bool) (string, error) {
	return "", errors.New("helmtest: pseudo-terminals are only supported on Linux")
}
