package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
)

// TestRewriteLock: a lock holding every image of a corpus render (as mirror
// --lock writes it) pins every rewritten reference through the config's
// lock: (relative to the config file) and through --lock; an image the
// lock lacks fails the run by name and nothing is written.
func TestRewriteLock(t *testing.T) {
	input, err := os.ReadFile("../../testdata/corpus/strimzi-kafka-operator-a-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfgText := "mirror: registry.internal.example.com/mirror\n"
	cfg, err := config.Parse([]byte(cfgText), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := plan.Build(strings.NewReader(string(input)), rewrite.Options{Mapper: m, Catalogue: cfg.Catalogue()}, false)
	if err != nil {
		t.Fatal(err)
	}
	l := &lock.File{}
	for i, img := range p.Copies() {
		digest := "sha256:" + strings.Repeat(string("0123456789abcdef"[i%16]), 64)
		l.Put(lock.Entry{Source: img.Source, Destination: img.Destination, Digest: digest, Mirrored: time.Now().UTC()})
	}
	if len(l.Images) < 5 {
		t.Fatalf("only %d images in the plan", len(l.Images))
	}
	if err := os.MkdirAll(filepath.Join(dir, "locks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Write(filepath.Join(dir, "locks", "airgap.lock")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "airgap.yaml"), []byte(cfgText+"lock: locks/airgap.lock\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`registry\.internal\.example\.com/mirror/[^\s"]+`)
	for _, args := range [][]string{
		{"rewrite", "--config", filepath.Join(dir, "airgap.yaml")},
		{"rewrite", "--mirror", "registry.internal.example.com/mirror", "--lock", filepath.Join(dir, "locks", "airgap.lock")},
	} {
		r := runCLI(t, dir, nil, string(input), args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		refs := pinned.FindAllString(r.stdout, -1)
		if len(refs) < 20 {
			t.Fatalf("%v: only %d mirror references in the output", args, len(refs))
		}
		for _, ref := range refs {
			if !strings.Contains(ref, "@sha256:") {
				t.Errorf("%v: %s is not pinned", args, ref)
			}
		}
	}
	unlocked := strings.Replace(string(input), "quay.io/strimzi/operator:1.2.0", "quay.io/strimzi/operator:9.9.9", 1)
	r := runCLI(t, dir, nil, unlocked, "rewrite", "--config", filepath.Join(dir, "airgap.yaml"))
	if r.code != 1 || !strings.Contains(r.stderr, "quay.io/strimzi/operator:9.9.9") || !strings.Contains(r.stderr, "not in the lock file") {
		t.Fatalf("an unlocked image: exit %d\n%s", r.code, r.stderr)
	}
	// The hint is about the lock, not about the chart's values.
	if !strings.Contains(r.stderr, "hint: not in the lock file: run helm-airgap resolve --lock") || strings.Contains(r.stderr, "change the chart's values") {
		t.Errorf("an unlocked image got the wrong hint:\n%s", r.stderr)
	}
}
