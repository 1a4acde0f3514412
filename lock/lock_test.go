package lock

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	d1 = "sha256:" + strings.Repeat("a", 64)
	d2 = "sha256:" + strings.Repeat("b", 64)
	d3 = "sha256:" + strings.Repeat("c", 64)
)

func TestRoundTripAndLookup(t *testing.T) {
	when := time.Date(2026, 11, 29, 15, 4, 5, 0, time.UTC)
	f := &File{}
	f.Put(Entry{Source: "quay.io/team/app:1.0", Destination: "reg.internal/mirror/team/app:1.0", Digest: d1, Mirrored: when})
	f.Put(Entry{Source: "docker.io/library/nginx:1.25", Destination: "reg.internal/mirror/library/nginx:1.25",
		Digest: d2, FilteredDigest: d3, Platforms: []Platform{{Platform: "linux/amd64", Digest: d1}}, Referrers: []Referrer{{Digest: d2, Tag: "sha256-" + strings.Repeat("b", 64) + ".sig"}, {Digest: d3}}, Mirrored: when})
	path := filepath.Join(t.TempDir(), "airgap.lock")
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := `# Written by helm-airgap mirror --lock; rewrite --lock pins to these digests. See docs/lock.md.
version: 1
images:
  - source: docker.io/library/nginx:1.25
    destination: reg.internal/mirror/library/nginx:1.25
    digest: ` + d2 + `
    filteredDigest: ` + d3 + `
    platforms:
      - platform: linux/amd64
        digest: ` + d1 + `
    referrers:
      - digest: ` + d2 + `
        tag: sha256-` + strings.Repeat("b", 64) + `.sig
      - digest: ` + d3 + `
    mirrored: 2026-11-29T15:04:05Z
  - source: quay.io/team/app:1.0
    destination: reg.internal/mirror/team/app:1.0
    digest: ` + d1 + `
    mirrored: 2026-11-29T15:04:05Z
`
	if string(data) != want {
		t.Fatalf("lock file:\n%s\nwant:\n%s", data, want)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref, pinned string
		found       bool
	}{
		{"docker.io/library/nginx:1.25", "reg.internal/mirror/library/nginx:1.25@" + d3, true},
		{"nginx:1.25", "reg.internal/mirror/library/nginx:1.25@" + d3, true},
		{"index.docker.io/library/nginx:1.25", "reg.internal/mirror/library/nginx:1.25@" + d3, true},
		{"QUAY.io/team/app:1.0", "reg.internal/mirror/team/app:1.0@" + d1, true},
		{"quay.io/team/app:1.1", "", false},
		{"nginx", "", false},
		{"not a ref", "", false},
	}
	for _, tt := range tests {
		e, ok := got.Lookup(tt.ref)
		if ok != tt.found || (ok && e.Pinned() != tt.pinned) {
			t.Errorf("Lookup(%q) = %q, %v; want %q, %v", tt.ref, e.Pinned(), ok, tt.pinned, tt.found)
		}
	}
	if _, ok := got.LookupExact("nginx:1.25"); ok {
		t.Error("LookupExact normalized the reference")
	}
}

func TestPin(t *testing.T) {
	f := &File{}
	f.Put(Entry{Source: "docker.io/library/nginx:1.25", Destination: "r.example/m/library/nginx:1.25", Digest: d1, FilteredDigest: d2})
	f.Put(Entry{Source: "quay.io/a/b@" + d3, Destination: "r.example/m/a/b@" + d3, Digest: d3})
	tests := []struct{ src, dest, want, err string }{
		{"nginx:1.25", "r.example/m/library/nginx:1.25", "r.example/m/library/nginx:1.25@" + d2, ""},
		{"quay.io/a/b@" + d3, "r.example/m/a/b@" + d3, "r.example/m/a/b@" + d3, ""},
		{"nginx:1.26", "r.example/m/library/nginx:1.26", "", "not in the lock file"},
		{"nginx:1.25", "other.example/nginx:1.25", "", "the config sends it to other.example/nginx:1.25"},
	}
	for _, tt := range tests {
		got, err := f.Pin(tt.src, tt.dest)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Pin(%q, %q) = %q, %v; want %q, %q", tt.src, tt.dest, got, err, tt.want, tt.err)
		}
	}
	if _, err := f.Pin("nginx:1.26", "x.example/y:1"); !errors.Is(err, ErrNotLocked) {
		t.Errorf("an unlocked source: %v, want ErrNotLocked", err)
	}
}

func TestPinnedReplacesADestinationDigest(t *testing.T) {
	e := Entry{Destination: "r.example/m/app:1@" + d1, Digest: d2}
	if got := e.Pinned(); got != "r.example/m/app:1@"+d2 {
		t.Errorf("Pinned() = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	entry := "images:\n  - {source: quay.io/a:1, destination: r.example/a:1, digest: " + d1 + "}\n"
	tests := []struct{ name, input, want string }{
		{"no version", entry, "version 0 is not supported"},
		{"future version", "version: 2\n" + entry, "version 2 is not supported"},
		{"unknown field", "version: 1\ncolour: red\n", "field colour not found"},
		{"bad digest", "version: 1\nimages:\n  - {source: quay.io/a:1, destination: r.example/a:1, digest: sha256:abc}\n", `digest "sha256:abc"`},
		{"bad destination", "version: 1\nimages:\n  - {source: quay.io/a:1, destination: '../../etc', digest: " + d1 + "}\n", "destination: invalid image reference"},
		{"twice", "version: 1\n" + entry + "  - {source: quay.io/a:1, destination: r.example/a:1, digest: " + d1 + "}\n", "listed twice"},
		{"two documents", "version: 1\n" + entry + "---\nversion: 1\n", "one YAML document"},
		{"missing destination", "version: 1\nimages:\n  - {source: quay.io/a:1, digest: " + d1 + "}\n", "source and destination are required"},
		{"bad platform", "version: 1\nimages:\n  - {source: quay.io/a:1, destination: r.example/a:1, digest: " + d1 + ", platforms: [{platform: linux/amd64}]}\n", "platforms[0]"},
		{"not yaml", "version: [", "not a lock file"},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.input))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing.lock")); err == nil || !strings.Contains(err.Error(), "reading lock file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestStaysLight: the fast helm-airgap binary reads lock files on rewrite.
func TestStaysLight(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"net/http", "github.com/google/go-containerregistry", "helm.sh/helm", "k8s.io/", "sigs.k8s.io/kustomize"} {
			if pkg == banned || strings.HasPrefix(pkg, strings.TrimSuffix(banned, "/")+"/") {
				t.Errorf("package lock imports %s", pkg)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 1\nimages:\n  - {source: quay.io/a:1, destination: r.example/a:1, digest: " + d1 + "}\n"))
	f.Add([]byte("version: 1\nimages: []\n"))
	f.Add([]byte("version: 1\nimages:\n  - source: nginx\n    destination: r/x\n    digest: " + d2 + "\n    platforms: [{platform: a, digest: " + d3 + "}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse(data)
		if err != nil {
			return
		}
		// What parses must write back and parse to the same entries.
		out, err := lf.Marshal()
		if err != nil {
			t.Fatalf("a parsed lock does not marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("a written lock does not parse: %v\n%s", err, out)
		}
		if len(again.Images) != len(lf.Images) {
			t.Fatalf("%d entries, then %d", len(lf.Images), len(again.Images))
		}
		for _, e := range lf.Images {
			if _, ok := again.LookupExact(e.Source); !ok {
				t.Fatalf("%s lost in the round trip", e.Source)
			}
		}
	})
}
