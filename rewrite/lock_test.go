package rewrite

import (
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/lock"
)

// TestLockPins: with a lock every rewritten reference names the digest that
// was mirrored (the filtered index's when platforms were filtered), the
// pinned output is stable, and a reference the lock lacks, or that it
// mirrored elsewhere, fails the run by name.
func TestLockPins(t *testing.T) {
	d1, d2, d3 := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64), "sha256:"+strings.Repeat("c", 64)
	l := &lock.File{}
	when := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	l.Put(lock.Entry{Source: "quay.io/org/app:1", Destination: "registry.internal.example.com/mirror/org/app:1", Digest: d1, Mirrored: when})
	l.Put(lock.Entry{Source: "docker.io/library/nginx:1.25", Destination: "registry.internal.example.com/mirror/library/nginx:1.25", Digest: d2, FilteredDigest: d3, Mirrored: when})
	opts := engineOptions(t, testConfig)
	opts.Lock = l
	input := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: quay.io/org/app:1
    - name: b
      image: nginx:1.25
      args: ["--sidecar-image=quay.io/org/app:1"]
`
	out, _, err := runOpts(t, opts, input)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"image: registry.internal.example.com/mirror/org/app:1@" + d1 + "\n",
		"image: registry.internal.example.com/mirror/library/nginx:1.25@" + d3 + "\n",
		`"--sidecar-image=registry.internal.example.com/mirror/org/app:1@` + d1 + `"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	again, _, err := runOpts(t, opts, out)
	if err != nil || again != out {
		t.Fatalf("pinned output is not stable (%v):\n%s", err, again)
	}

	_, _, err = runOpts(t, opts, strings.Replace(input, "nginx:1.25", "nginx:1.26", 1))
	policyError(t, err, "nginx:1.26", "not in the lock file")

	elsewhere := engineOptions(t, "mirror: registry.internal.example.com/other\n")
	elsewhere.Lock = l
	_, _, err = runOpts(t, elsewhere, "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: quay.io/org/app:1}]\n")
	policyError(t, err, "quay.io/org/app:1", "mirrored to registry.internal.example.com/mirror/org/app:1")
}

func policyError(t *testing.T, err error, want ...string) {
	t.Helper()
	pe, ok := err.(*PolicyError)
	if !ok {
		t.Fatalf("error %v (%T), want a *PolicyError", err, err)
	}
	var b strings.Builder
	WriteReport(&b, pe.Report, nil)
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("report does not mention %q:\n%s", w, b.String())
		}
	}
}
