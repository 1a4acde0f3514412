package buildinfo

import "testing"

func TestVersion(t *testing.T) {
	if got := Version("1.2.3"); got != "1.2.3" {
		t.Errorf("Version(%q) = %q, want the stamped version", "1.2.3", got)
	}
	// Unstamped (go test, go run), a binary still says something: the
	// module version the toolchain recorded, or "(devel)".
	if got := Version(""); got == "" {
		t.Error(`Version("") is empty`)
	}
}
