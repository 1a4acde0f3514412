package nodeconfig

import (
	"testing"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// FuzzTOMLString: every string tomlString quotes decodes, with a TOML
// parser (the one containers/image reads registries.conf with), to itself.
func FuzzTOMLString(f *testing.F) {
	for _, s := range []string{"", "registry.internal.example.com/mirror", `a"b\c`, "tab\there", "nl\nx", "\x00\x1f\x7f", "ü/日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // every value written is a parsed host or reference
		}
		var doc struct{ V string }
		if _, err := toml.Decode("V = "+tomlString(s)+"\n", &doc); err != nil {
			t.Fatalf("tomlString(%q) = %s does not parse: %v", s, tomlString(s), err)
		}
		if doc.V != s {
			t.Fatalf("tomlString(%q) reads back as %q", s, doc.V)
		}
		var list struct{ L []string }
		if _, err := toml.Decode("L = "+tomlStrings([]string{s, "x"})+"\n", &list); err != nil || len(list.L) != 2 || list.L[0] != s {
			t.Fatalf("tomlStrings([%q x]) reads back as %q (%v)", s, list.L, err)
		}
	})
}
