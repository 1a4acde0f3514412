package main

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processInfo reads a process's arguments and parent from /proc.
func processInfo(pid int) (args []string, ppid int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/"
	cmdline, err := os.ReadFile(dir + "cmdline")
	if err != nil {
		return nil, 0, false
	}
	stat, err := os.ReadFile(dir + "stat")
	if err != nil {
		return nil, 0, false
	}
	ppid, ok = parentFromStat(stat)
	return splitNUL(cmdline), ppid, ok
}

// openParentStderr opens the parent's stderr for appending, unless this
// process's stderr is that same file (the parent shows it already).
// Opening /proc/PID/fd/2 reopens the parent's pipe, file or terminal.
func openParentStderr() (*os.File, bool) {
	theirs := "/proc/" + strconv.Itoa(os.Getppid()) + "/fd/2"
	parent, err := os.Stat(theirs)
	if err != nil {
		return nil, false
	}
	if own, err := os.Stat("/proc/self/fd/2"); err == nil && os.SameFile(own, parent) {
		return nil, false
	}
	if parent.Mode().IsRegular() && !appendOnly(os.Getppid()) {
		// A file the parent writes at its own offset ("2> log"): what we
		// appended would be overwritten by its next line. Pipes (CI logs),
		// terminals and files opened for appending ("2>> log") are safe.
		return nil, false
	}
	f, err := os.OpenFile(theirs, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, false
	}
	return f, true
}

// appendOnly reports whether a process's stderr was opened with O_APPEND,
// from the flags /proc/PID/fdinfo/2 shows (octal).
func appendOnly(pid int) bool {
	info, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/2")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&uint64(syscall.O_APPEND) != 0
		}
	}
	return false
}
