package egress

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStaysLight: the fast helm-airgap binary imports this package, so it
// must not bring heavy or slow-to-start packages with it (issue 6's rule,
// and net/http, which golang.org/x/net/publicsuffix would pull in).
func TestStaysLight(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"net/http", "golang.org/x/net/publicsuffix", "sigs.k8s.io/kustomize", "helm.sh/helm", "k8s.io/", "github.com/google/go-containerregistry"} {
			if pkg == banned || strings.HasPrefix(pkg, banned+"/") || (strings.HasSuffix(banned, "/") && strings.HasPrefix(pkg, banned)) {
				t.Errorf("package egress imports %s", pkg)
			}
		}
	}
}
