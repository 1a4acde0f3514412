package nodeconfig

import (
	"fmt"
	"strings"
)

// The TOML files (containerd's hosts.toml, the registries.conf.d drop-in)
// have fixed, small shapes, so they are written directly rather than with a
// TOML library: the fast binary links this package, and the TOML encoder
// already in go.sum (BurntSushi/toml) reads the local time zone at package
// initialisation, about 0.35 ms added to every start of helm-airgap,
// rewrite included (GODEBUG=inittrace=1). What is written is read back by
// the runtimes' own parsers in the tests (containerd's go-toml, containers/
// image's BurntSushi/toml), and FuzzTOMLString decodes every quoted string.

// tomlString quotes s as a TOML basic string: '"' and '\' escaped, control
// characters as \uXXXX, everything else as is (valid UTF-8 expected, as
// every value here is a parsed host or reference).
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlStrings is a TOML array of basic strings.
func tomlStrings(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = tomlString(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}
