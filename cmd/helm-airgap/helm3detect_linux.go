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
