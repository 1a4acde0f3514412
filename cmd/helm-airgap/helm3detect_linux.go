package main

import (
	"os"
	"strconv"
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
	f, err := os.OpenFile(theirs, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, false
	}
	return f, true
}
