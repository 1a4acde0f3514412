package cli

import "runtime/debug"

// Version is a binary's version: set, the value `make` gives main.version
// (-ldflags "-X main.version=..."), else the module version Go recorded
// (go install ...@v1.2.3), else "(devel)". Every binary answers --version
// with it.
func Version(set string) string {
	if set != "" {
		return set
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
