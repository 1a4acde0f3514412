package egress

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/publicsuffix"
)

// TestTLDTableMatchesPublicSuffix keeps tlds.go equal to the top-level
// domains of golang.org/x/net/publicsuffix at the version go.mod names:
// after a bump of x/net, run go generate ./egress.
func TestTLDTableMatchesPublicSuffix(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "golang.org/x/net").Output()
	if err != nil {
		t.Fatalf("go list -m golang.org/x/net: %v", err)
	}
	text, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "publicsuffix", "data", "text"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for i := range text {
		for j := i + 1; j <= len(text) && j-i <= 63; j++ {
			s := string(text[i:j])
			if want[s] {
				continue
			}
			if suffix, icann := publicsuffix.PublicSuffix("x." + s); icann && (suffix == s || strings.HasSuffix(suffix, "."+s)) {
				want[s] = true
			}
		}
	}
	got := strings.Fields(tldList)
	if !sort.StringsAreSorted(got) {
		t.Error("tldList is not sorted")
	}
	var missing, extra []string
	for s := range want {
		if !isTLD(s) {
			missing = append(missing, s)
		}
	}
	for _, s := range got {
		if !want[s] {
			extra = append(extra, s)
		}
	}
	if len(missing)+len(extra) > 0 || len(got) != len(want) {
		sort.Strings(missing)
		t.Errorf("tlds.go is out of date (go generate ./egress): missing %v, not in the list %v", missing, extra)
	}
	for _, tld := range []string{"com", "io", "ai", "dev", "app", "cloud", "uk", "de", "ck"} {
		if !isTLD(tld) {
			t.Errorf("%s is not a TLD", tld)
		}
	}
	for _, label := range []string{"local", "internal", "svc", "corp", "lan", "monitoring", "platform", "cluster"} {
		if isTLD(label) {
			t.Errorf("%s is taken for a TLD", label)
		}
	}
}
