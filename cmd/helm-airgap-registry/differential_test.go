package main

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// TestDifferentialWithPlatformAndLock is issue 21 item 1's "works with
// --platform and --lock": the inside holds release 1 (amd64 only, or both
// platforms); release 2 adds one layer to the amd64 image. The archive
// built against the inside's inventory carries that layer and its config
// and nothing else of the image (no arm64 blob with --platform), its lock
// records what was archived, and the push inside passes the assumed-blob
// check, writes a lock that agrees, and verify --lock passes.
func TestDifferentialWithPlatformAndLock(t *testing.T) {
	for _, platform := range []string{"linux/amd64", ""} {
		t.Run("platform="+platform, func(t *testing.T) {
			s := newSupply(t)
			amd1, arm := randomImage(t), randomImage(t)
			newLayer, err := random.Layer(8192, types.DockerLayer)
			if err != nil {
				t.Fatal(err)
			}
			amd2, err := mutate.AppendLayers(amd1, newLayer)
			if err != nil {
				t.Fatal(err)
			}
			s.src.Push(t, "team/api:1", platformIndex(t, amd1, arm))
			s.src.Push(t, "team/api:2", platformIndex(t, amd2, arm))
			release := func(tag string) string {
				return s.write("release"+tag+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: api, namespace: demo}
spec:
  containers:
    - {name: api, image: %[1]s/team/api:%[2]s}
    - {name: migrate, image: "%[1]s/team/migrate:3.0@%[3]s"}
`, s.src.Host, tag, s.pinned))
			}
			var pf []string
			if platform != "" {
				pf = []string{"--platform", platform}
			}
			args := func(a ...string) []string { return append(a, pf...) }

			// Inside: release 1, then the inventory of what it holds.
			s.must(0, "", args("mirror", "-c", s.config, release("1"))...)
			inventory, _ := s.must(0, "", "inventory", "-c", s.config, release("2"))
			s.write("inside.json", inventory)
			// Signed inside as cosign sign-blob signs it; outside, an
			// altered copy is refused and the signed one is read.
			key := registrytest.NewSigningKey(t)
			s.write("cosign.pub", string(key.PubPEM))
			s.write("inside.json.sig", key.SignBlob(t, []byte(inventory)))
			s.write("altered.json", strings.Replace(inventory, "sha256:", "sha256:0", 1))
			s.write("altered.json.sig", key.SignBlob(t, []byte(inventory)))
			s.expect(1, "the inventory is not signed by the key", "mirror", "-c", s.config, "--to-archive", "x.tar", "--have", "altered.json", "--have-key", "cosign.pub", release("2"))
			s.expect(2, "--have-key: the inventory's signature", "mirror", "-c", s.config, "--to-archive", "x.tar", "--have", "cosign.pub", "--have-key", "cosign.pub", release("2"))
			s.expect(2, "--have-key is for --have", "mirror", "-c", s.config, "--to-archive", "x.tar", "--have-key", "cosign.pub", release("2"))

			// Outside: the differential archive of release 2, with a lock.
			s.must(0, "", args("mirror", "-c", s.config, "--to-archive", "update.tar", "--have", "inside.json", "--have-key", "cosign.pub", "--lock", "outside.lock", release("2"))...)
			carried := tarBlobs(t, filepath.Join(s.dir, "update.tar"))
			cfg2, _ := amd2.ConfigName()
			newDigest, _ := newLayer.Digest()
			for _, h := range []v1.Hash{newDigest, cfg2} {
				if !carried[h.Hex] {
					t.Errorf("the archive lacks %s, new in release 2", h)
				}
			}
			for _, img := range []v1.Image{amd1, arm} {
				for _, h := range imageBlobs(t, img) {
					if carried[h.Hex] {
						t.Errorf("the archive carries %s, which the inside has (or, with --platform, does not want)", h)
					}
				}
			}
			outside := s.readLock(t, "outside.lock")
			api, ok := outside.Lookup(s.src.Ref("team/api:2"))
			wantPlatforms := 2
			if platform != "" {
				wantPlatforms = 1
			}
			if !ok || len(api.Platforms) != wantPlatforms || (platform != "") != (api.FilteredDigest != "") {
				t.Errorf("the archive's lock entry for api:2: %+v", api)
			}

			// Inside: the push checks the assumed blobs, writes its lock;
			// verify passes against the outside's lock.
			_, stderr := s.must(0, "", "mirror", "-c", s.config, "--from-archive", "update.tar", "--lock", "inside.lock")
			if !strings.Contains(stderr, "blob(s) the archive left out are in the registry") || !strings.Contains(stderr, "1 copied, 1 already present, 0 failed") {
				t.Errorf("push of the update:\n%s", stderr)
			}
			inside := s.readLock(t, "inside.lock")
			if in, ok := inside.Lookup(s.src.Ref("team/api:2")); !ok || in.Digest != api.Digest || in.FilteredDigest != api.FilteredDigest {
				t.Errorf("inside lock %+v, outside %+v", in, api)
			}
			s.must(0, "", "verify", "-c", s.config, "--strict", "--lock", "outside.lock", release("2"))
		})
	}
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(4096, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func platformIndex(t *testing.T, amd64, arm64 v1.Image) v1.ImageIndex {
	t.Helper()
	return mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
}

// imageBlobs are an image's config and layers.
func imageBlobs(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := []v1.Hash{m.Config.Digest}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// tarBlobs are the blob files (by hex digest) of an archive.
func tarBlobs(t *testing.T, path string) map[string]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if hex, ok := strings.CutPrefix(hdr.Name, "blobs/sha256/"); ok {
			out[hex] = true
		}
	}
}
