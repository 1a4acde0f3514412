package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// runByHelm3PostRenderer reports whether this process is, as far as can be
// told, a Helm 3 post-renderer. Helm 3 exports nothing to a post-renderer
// (it runs `exec.Command(path, args...)` with its own environment), while
// Helm 4 runs only post-renderer plugins and sets HELM_PLUGIN_NAME for every
// plugin, as Helm 3 does for CLI plugins. So: no HELM_PLUGIN_NAME, and a
// near ancestor (Helm itself, or Helm above a wrapper script) whose command
// line has a --post-renderer flag. Where the process table cannot be read
// (neither Linux nor macOS) the answer is no.
func runByHelm3PostRenderer() bool {
	if os.Getenv("HELM_PLUGIN_NAME") != "" {
		return false
	}
	pid := os.Getppid()
	for depth := 0; depth < 3 && pid > 1; depth++ {
		args, ppid, ok := processInfo(pid)
		if !ok {
			return false
		}
		if hasPostRendererFlag(args) {
			return true
		}
		pid = ppid
	}
	return false
}

// hasPostRendererFlag reports whether a Helm command line sets
// --post-renderer (not merely --post-renderer-args).
func hasPostRendererFlag(args []string) bool {
	for _, a := range args {
		if a == "--post-renderer" || strings.HasPrefix(a, "--post-renderer=") {
			return true
		}
	}
	return false
}

// splitNUL splits a NUL-separated argument list (/proc/PID/cmdline).
func splitNUL(b []byte) []string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

// parentFromStat reads the parent pid from /proc/PID/stat: "pid (comm) state
// ppid ...", where comm may itself hold spaces and parentheses, so the
// fields are counted from the last ')'.
func parentFromStat(b []byte) (int, bool) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil && ppid >= 0
}

// parseProcArgs2 decodes macOS's KERN_PROCARGS2 buffer: a native-endian
// int32 argc, the executable path, NUL padding, then argc NUL-terminated
// arguments (the environment follows, and is ignored).
func parseProcArgs2(b []byte) []string {
	if len(b) < 4 {
		return nil
	}
	argc := int(int32(binary.NativeEndian.Uint32(b)))
	rest := b[4:]
	end := bytes.IndexByte(rest, 0)
	if argc <= 0 || end < 0 {
		return nil
	}
	rest = rest[end:]
	for len(rest) > 0 && rest[0] == 0 {
		rest = rest[1:]
	}
	args := make([]string, 0, min(argc, 256))
	for len(args) < argc && len(rest) > 0 {
		end := bytes.IndexByte(rest, 0)
		if end < 0 {
			args = append(args, string(rest))
			break
		}
		args = append(args, string(rest[:end]))
		rest = rest[end+1:]
	}
	return args
}

// runByHelmPlugin reports whether Helm runs this process as a plugin (Helm
// 4 runs post-renderers only as plugins): HELM_PLUGIN_NAME is set and the
// parent is a helm binary.
func runByHelmPlugin() bool {
	if os.Getenv("HELM_PLUGIN_NAME") == "" {
		return false
	}
	args, _, ok := processInfo(os.Getppid())
	return ok && len(args) > 0 && isHelmName(filepath.Base(args[0]))
}

// isHelmName reports whether a program name is Helm's: "helm", or "helm"
// with a version ("helm4", "helm-v4.3.1"), not another helm-* program.
func isHelmName(name string) bool {
	rest, ok := strings.CutPrefix(strings.TrimSuffix(name, ".exe"), "helm")
	return ok && strings.Trim(rest, "0123456789.-v") == ""
}
