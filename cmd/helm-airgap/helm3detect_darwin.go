package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// processInfo reads a process's arguments and parent with sysctl; both work
// for the user's own processes without privileges.
func processInfo(pid int) (args []string, ppid int, ok bool) {
	info, err := unix.SysctlKinfoProc("kern.proc.pid", pid)
	if err != nil {
		return nil, 0, false
	}
	raw, err := unix.SysctlRaw("kern.procargs2", pid)
	if err != nil {
		return nil, 0, false
	}
	return parseProcArgs2(raw), int(info.Eproc.Ppid), true
}

// openParentStderr cannot reach another process's stderr on macOS (no
// /proc); the terminal and the report file remain.
func openParentStderr() (*os.File, bool) { return nil, false }
