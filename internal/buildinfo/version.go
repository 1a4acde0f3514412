package buildinfo

import "runtime/debug"

// Version is stamped, the version make build set in the calling binary's
// main.version, when there is one; else what the Go toolchain recorded.
func Version(stamped string) string {
	if stamped != "" {
		return stamped
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
