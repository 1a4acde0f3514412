package mirror

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
