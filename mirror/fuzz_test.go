package mirror

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzExtractArchive feeds arbitrary bytes to the archive reader: it must
// never panic, never write outside its directory, and never write more
// than it was given (no sparse or otherwise inflated entries).
func FuzzExtractArchive(f *testing.F) {
	dir := f.TempDir()
	seedTar := filepath.Join(dir, "seed.tar")
	writeTarFile(f, seedTar, "index.json", `{"schemaVersion":2,"manifests":[]}`)
	seed, err := os.ReadFile(seedTar)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte{})
	f.Add(bytes.Repeat([]byte{0}, 1024))
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		out := filepath.Join(parent, "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		_, _ = extractArchive(context.Background(), bytes.NewReader(data), out)
		if n := diskUsage(t, parent); n > int64(len(data)) {
			t.Errorf("%d bytes of input wrote %d bytes", len(data), n)
		}
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 {
			t.Errorf("something was written beside the extraction directory: %v", entries)
		}
	})
}

// FuzzReadInventory: any bytes give an inventory or an error, never a
// panic; an inventory read marshals to bytes that read back the same.
func FuzzReadInventory(f *testing.F) {
	f.Add([]byte(`{"kind":"HelmAirgapInventory","version":1,"repositories":[{"repository":"registry.internal/mirror/app","manifests":["sha256:` + strings.Repeat("a", 64) + `"],"blobs":[]}]}`))
	f.Add([]byte(`{"kind":"HelmAirgapInventory","version":1,"repositories":[{"repository":"UPPER/x","manifests":["sha256:x"]}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := ReadInventory(bytes.NewReader(data))
		if err != nil {
			return
		}
		out, err := inv.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ReadInventory(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("a marshalled inventory does not read back: %v\n%s", err, out)
		}
		for _, r := range inv.Repositories {
			for _, d := range r.Blobs {
				if !back.Has(r.Repository, d) {
					t.Fatalf("%s lost %s", r.Repository, d)
				}
			}
		}
	})
}
