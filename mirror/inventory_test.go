package mirror

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// TestDifferentialArchive is issue 21 item 1: the inside's inventory makes
// the outside's archive carry only the blobs the inside lacks (plus every
// manifest), the archive records what it assumes, and the inside refuses
// to push it, before writing anything, when an assumed blob is not there.
func TestDifferentialArchive(t *testing.T) {
	src, dst := registrytest.New(t), registrytest.New(t)
	base, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	src.Push(t, "team/app:1", base)
	src.PushPlatformIndex(t, "team/web:2.0", "linux/amd64", "linux/arm64")
	web := item(src.Ref("team/web:2.0"), dst.Ref("mirror/team/web:2.0"))
	c := newClient(t, Options{})
	// The first release is inside.
	requireOK(t, c.Copy(context.Background(), []Item{item(src.Ref("team/app:1"), dst.Ref("mirror/team/app:1")), web}))

	// The update: app:2 is app:1 plus one new layer; web is unchanged;
	// tools is new.
	newLayer, err := random.Layer(8192, "application/vnd.oci.image.layer.v1.tar+gzip")
	if err != nil {
		t.Fatal(err)
	}
	app2, err := mutate.AppendLayers(base, newLayer)
	if err != nil {
		t.Fatal(err)
	}
	src.Push(t, "team/app:2", app2)
	tools := src.PushImage(t, "team/tools:1")
	update := []Item{item(src.Ref("team/app:2"), dst.Ref("mirror/team/app:2")), web, item(src.Ref("team/tools:1"), dst.Ref("mirror/team/tools:1"))}

	dst.Requests()
	inv, r := c.Inventory(context.Background(), update)
	if r.Count(Failed) > 0 {
		t.Fatalf("inventory: %v", r.Results)
	}
	data, err := inv.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Inventory(context.Background(), update)
	if data2, _ := again.Marshal(); !bytes.Equal(data, data2) {
		t.Error("two inventories of the same registry differ")
	}
	read, err := ReadInventory(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if w := registrytest.Writes(dst.Requests()); len(w) > 0 {
		t.Errorf("the inventory wrote %v", w)
	}

	dir := t.TempDir()
	full := filepath.Join(dir, "full.tar")
	diff := filepath.Join(dir, "diff.tar")
	requireOK(t, mustArchive(t, c, update, full, ArchiveOptions{Prefixes: []string{dst.Host}}))
	diffReport := mustArchive(t, c, update, diff, ArchiveOptions{Prefixes: []string{dst.Host}, Have: read})
	requireOK(t, diffReport)

	// What the differential archive must carry: app:2's new layer and
	// config, all of tools, and every manifest.
	var want int64
	toolsImg := mustImageAt(t, src.Ref("team/tools@"+tools.String()))
	for _, b := range append(blobsOf(t, app2), blobsOf(t, toolsImg)...) {
		if !read.Has(dst.Host+"/mirror/team/app", b.Digest) {
			want += b.Size
		}
	}
	a, err := OpenArchive(context.Background(), diff)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var carried, manifests int64
	for _, b := range readManifestOf(t, a).Blobs {
		if isManifestBlob(t, a, b.Digest) {
			manifests += b.Size
		} else {
			carried += b.Size
		}
	}
	if carried != want {
		t.Errorf("the differential archive carries %d bytes of configs and layers, want %d (the new ones)", carried, want)
	}
	var assumed int64
	for _, b := range a.Assumed {
		assumed += b.Size
	}
	if got := diffReport.Blobs; got.Moved != want || got.LeftOut != assumed || got.Present != 0 {
		t.Errorf("the differential run's figures %+v, want %d written and %d left out", got, want, assumed)
	}
	if len(a.Assumed) != 3+2*2 { // app:1's 3 layers (app:2 has its own config); web's 2 platforms' layer and config
		t.Errorf("assumed %d blobs: %v", len(a.Assumed), a.Assumed)
	}
	fullSize, diffSize := fileSize(t, full), fileSize(t, diff)
	t.Logf("full archive %d bytes, differential %d (configs and layers %d, manifests %d)", fullSize, diffSize, carried, manifests)
	if diffSize >= fullSize {
		t.Errorf("differential %d bytes, full %d", diffSize, fullSize)
	}

	// Inside: every assumed blob is there; the push completes.
	missing, err := c.CheckAssumed(context.Background(), a, a.Entries)
	if err != nil || len(missing) > 0 {
		t.Fatalf("assumed blobs missing: %v %v", missing, err)
	}
	requireOK(t, c.Push(context.Background(), a, a.Entries))
	requireOK(t, c.Verify(context.Background(), archiveItems(a), true))

	// Another inside, lacking app:1: the check names the missing blobs.
	other := registrytest.New(t)
	var entries []Entry
	for _, e := range a.Entries {
		e.Destination = strings.Replace(e.Destination, dst.Host, other.Host, 1)
		entries = append(entries, e)
	}
	missing, err = c.CheckAssumed(context.Background(), a, entries)
	if err != nil || len(missing) != len(a.Assumed) || !strings.Contains(missing[0], other.Host+"/mirror/team/") {
		t.Errorf("against an empty registry: %v %v", missing, err)
	}
}

func mustArchive(t *testing.T, c *Client, items []Item, target string, o ArchiveOptions) *Report {
	t.Helper()
	r, err := c.ToArchive(context.Background(), items, target, o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func blobsOf(t *testing.T, img v1.Image) []blobRef {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := []blobRef{{Digest: m.Config.Digest.String(), Size: m.Config.Size}}
	for _, l := range m.Layers {
		out = append(out, blobRef{Digest: l.Digest.String(), Size: l.Size})
	}
	return out
}

func readManifestOf(t *testing.T, a *Archive) *archiveManifest {
	t.Helper()
	m, err := verifyLayoutDir(context.Background(), string(a.layout))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func isManifestBlob(t *testing.T, a *Archive, digest string) bool {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(string(a.layout), blobDir, strings.TrimPrefix(digest, "sha256:")))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(raw, []byte(`"schemaVersion"`))
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// TestSignedInventory: an inventory signed as cosign sign-blob signs a file
// is read only with its signature by the key: not altered, not by another
// key, not a signature that is not base64.
func TestSignedInventory(t *testing.T) {
	data := []byte(`{"kind":"HelmAirgapInventory","version":1,"repositories":[{"repository":"registry.internal/mirror/app","manifests":[],"blobs":["sha256:` + strings.Repeat("a", 64) + `"]}]}`)
	key, other := registrytest.NewSigningKey(t), registrytest.NewSigningKey(t)
	v, err := LoadPublicKey(key.PubPEM)
	if err != nil {
		t.Fatal(err)
	}
	sig := key.SignBlob(t, data)
	inv, err := ReadSignedInventory(bytes.NewReader(data), []byte(sig+"\n"), v)
	if err != nil || !inv.Has("registry.internal/mirror/app", "sha256:"+strings.Repeat("a", 64)) {
		t.Fatalf("signed inventory: %v %+v", err, inv)
	}
	altered := bytes.Replace(data, []byte("aaaa"), []byte("bbbb"), 1)
	for name, tt := range map[string]struct {
		data []byte
		sig  string
		want string
	}{
		"altered":      {altered, sig, "not signed by the key"},
		"another key":  {data, other.SignBlob(t, data), "not signed by the key"},
		"not base64":   {data, "%%%", "not base64"},
		"no signature": {data, "", "not signed by the key"},
	} {
		if _, err := ReadSignedInventory(bytes.NewReader(tt.data), []byte(tt.sig), v); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tt.want)
		}
	}
}
