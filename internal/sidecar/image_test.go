package main

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/release"
)

// fakeBinaries writes small stand-ins for the binaries, enough to assemble
// an image without building anything.
func fakeBinaries(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	out := map[string]string{}
	for _, name := range []string{"helm", "helm-airgap", "helm-airgap-helm"} {
		out[name] = filepath.Join(dir, name)
		if err := os.WriteFile(out[name], []byte("#!binary "+name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

var testContents = contents{pluginYAML: []byte("kind: ConfigManagementPlugin\n"), version: "1.2.3", date: time.Unix(0, 0).UTC()}

// layerHeaders reads back a layer's tar headers and file contents.
func layerHeaders(t *testing.T, l v1.Layer) ([]*tar.Header, map[string]string) {
	t.Helper()
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var hdrs []*tar.Header
	files := map[string]string{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return hdrs, files
		}
		if err != nil {
			t.Fatal(err)
		}
		hdrs = append(hdrs, hdr)
		data, _ := io.ReadAll(tr)
		files[hdr.Name] = string(data)
	}
}

func TestLayerIsReproducible(t *testing.T) {
	bins := fakeBinaries(t)
	entries := append(testContents.baseEntries(), binaryEntries(bins)...)
	digest := func(entries []entry) v1.Hash {
		l, err := testContents.layer(entries)
		if err != nil {
			t.Fatal(err)
		}
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	first := digest(entries)
	// Touched files, entries in another order: the same layer.
	for _, p := range bins {
		os.Chtimes(p, time.Now(), time.Now())
	}
	reversed := make([]entry, len(entries))
	for i, e := range entries {
		reversed[len(entries)-1-i] = e
	}
	if again := digest(reversed); again != first {
		t.Errorf("the same entries gave %s, then %s", first, again)
	}
	// A changed byte is a changed layer.
	if err := os.WriteFile(bins["helm"], []byte("#!binary helm, patched"), 0o755); err != nil {
		t.Fatal(err)
	}
	if changed := digest(entries); changed == first {
		t.Error("a changed binary left the layer's digest alone")
	}
	// The date is SOURCE_DATE_EPOCH's.
	later := testContents
	later.date = time.Unix(1700000000, 0).UTC()
	l, err := later.layer(entries)
	if err != nil {
		t.Fatal(err)
	}
	hdrs, _ := layerHeaders(t, l)
	for _, h := range hdrs {
		if !h.ModTime.Equal(later.date) {
			t.Errorf("%s is dated %v, want %v", h.Name, h.ModTime, later.date)
		}
	}
}

func TestLayerRefusesDuplicates(t *testing.T) {
	e := entry{name: "etc/passwd", mode: 0o644}
	if _, err := testContents.layer([]entry{e, e}); err == nil || !strings.Contains(err.Error(), "etc/passwd is listed twice") {
		t.Errorf("two entries with one name: %v", err)
	}
}

func TestBaseLayer(t *testing.T) {
	l, err := testContents.layer(testContents.baseEntries())
	if err != nil {
		t.Fatal(err)
	}
	hdrs, files := layerHeaders(t, l)
	var names []string
	byName := map[string]*tar.Header{}
	for _, h := range hdrs {
		names = append(names, h.Name)
		byName[h.Name] = h
	}
	// Sorted, every parent before its children.
	want := "etc/ etc/group etc/passwd home/ home/argocd/ home/argocd/cmp-server/ home/argocd/cmp-server/config/ home/argocd/cmp-server/config/plugin.yaml tmp/ usr/ usr/local/ usr/local/bin/"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries:\n%s\nwant:\n%s", got, want)
	}
	for _, tc := range []struct {
		name     string
		mode     int64
		uid, gid int
	}{
		{"home/argocd/", 0o755, 999, 999},
		{"tmp/", 0o1777, 0, 0},
		{"etc/passwd", 0o644, 0, 0},
		{"home/argocd/cmp-server/config/plugin.yaml", 0o644, 0, 0},
	} {
		h := byName[tc.name]
		if h == nil || h.Mode != tc.mode || h.Uid != tc.uid || h.Gid != tc.gid || h.Uname != "" {
			t.Errorf("%s: %+v, want mode %o owned by %d:%d", tc.name, h, tc.mode, tc.uid, tc.gid)
		}
	}
	if !strings.Contains(files["etc/passwd"], "\nargocd:x:999:999:argocd:/home/argocd:") || !strings.Contains(files["etc/group"], "\nargocd:x:999:\n") {
		t.Errorf("passwd:\n%s\ngroup:\n%s", files["etc/passwd"], files["etc/group"])
	}
	if files["home/argocd/cmp-server/config/plugin.yaml"] != string(testContents.pluginYAML) {
		t.Error("plugin.yaml is not the plugin config given")
	}
}

func TestImageIsReproducible(t *testing.T) {
	bins := fakeBinaries(t)
	pfs := []release.Platform{{OS: "linux", Arch: "amd64"}, {OS: "linux", Arch: "arm64"}}
	index := func() v1.ImageIndex {
		var images []platformImage
		for _, pf := range pfs {
			img, err := testContents.image(pf, bins)
			if err != nil {
				t.Fatal(err)
			}
			images = append(images, platformImage{pf, img})
		}
		return imageIndex(images)
	}
	a, b := index(), index()
	da, err := a.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if db, _ := b.Digest(); da != db {
		t.Errorf("two builds of the same files: %s and %s", da, db)
	}
	im, err := a.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != "application/vnd.oci.image.index.v1+json" || len(im.Manifests) != len(pfs) {
		t.Fatalf("index: %+v", im)
	}
	// The base layer is one blob for every platform.
	var bases []v1.Hash
	for i, d := range im.Manifests {
		if d.Platform == nil || d.Platform.OS != pfs[i].OS || d.Platform.Architecture != pfs[i].Arch {
			t.Errorf("manifest %d is for %+v, want %s", i, d.Platform, pfs[i])
		}
		img, err := a.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Layers) != 3 || m.Config.MediaType != "application/vnd.oci.image.config.v1+json" {
			t.Fatalf("manifest %d: %+v", i, m)
		}
		bases = append(bases, m.Layers[0].Digest)
		cf, _ := img.ConfigFile()
		if cf.Architecture != pfs[i].Arch || !cf.Created.Equal(testContents.date) {
			t.Errorf("config %d: %s, created %v", i, cf.Architecture, cf.Created)
		}
	}
	if bases[0] != bases[1] {
		t.Error("the base layer differs between platforms")
	}
}

func TestImageRef(t *testing.T) {
	for _, tc := range []struct{ repo, want, err string }{
		{"registry.internal.example.com/helm-airgap/argocd-cmp", "registry.internal.example.com/helm-airgap/argocd-cmp:1.2.3", ""},
		{"127.0.0.1:5000/argocd-cmp", "127.0.0.1:5000/argocd-cmp:1.2.3", ""},
		{"registry.example.com/argocd-cmp:v1", "", "without a tag or digest"},
		{"Registry/x", "", "invalid image reference"},
		{"", "", "image repository"},
	} {
		ref, err := imageRef(tc.repo, "1.2.3")
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("imageRef(%q): %v, want %q", tc.repo, err, tc.err)
			}
			continue
		}
		if err != nil || ref.Written != tc.want {
			t.Errorf("imageRef(%q) = %q, %v; want %q", tc.repo, ref.Written, err, tc.want)
		}
	}
}

func TestBuildRefusesOtherSystems(t *testing.T) {
	_, _, err := build(".", t.TempDir(), []release.Platform{{OS: "darwin", Arch: "arm64"}}, defaultRepository, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "Linux nodes only") {
		t.Errorf("darwin: %v", err)
	}
}
