package mirror

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

func TestVerifySignaturesOffline(t *testing.T) {
	src, dst := registrytest.NewDistribution(t), registrytest.NewDistribution(t)
	registrytest.Login(t, src, dst)
	key, other := registrytest.NewSigningKey(t), registrytest.NewSigningKey(t)
	signed := src.PushImage(t, "team/signed:1")
	payload, sig := key.Sign(t, signed)
	src.PushSignedPayload(t, "team/signed", signed, payload, sig)
	byOther := src.PushImage(t, "team/other:1")
	payload, sig = other.Sign(t, byOther)
	src.PushSignedPayload(t, "team/other", byOther, payload, sig)
	moved := src.PushImage(t, "team/moved:1")
	payload, sig = key.Sign(t, signed) // a valid signature, but of another image
	src.PushSignedPayload(t, "team/moved", moved, payload, sig)
	src.PushImage(t, "team/unsigned:1")
	items := []Item{
		item(src.Ref("team/signed:1"), dst.Ref("m/team/signed:1")),
		item(src.Ref("team/other:1"), dst.Ref("m/team/other:1")),
		item(src.Ref("team/moved:1"), dst.Ref("m/team/moved:1")),
		item(src.Ref("team/unsigned:1"), dst.Ref("m/team/unsigned:1")),
	}
	c := newClient(t, Options{})
	requireOK(t, c.Copy(context.Background(), items)) // the signatures travel with the images

	v, err := LoadPublicKey(key.PubPEM)
	if err != nil {
		t.Fatal(err)
	}
	dst.Requests()
	r := c.VerifySignatures(context.Background(), items, v)
	if got := fmt.Sprint(outcomes(r)); got != "[present unsigned unsigned unsigned]" {
		t.Fatalf("outcomes %s", got)
	}
	for i, want := range []string{"", "holds no signature by this key", "the key signed " + signed.String(), "no cosign signature"} {
		if err := r.Results[i].Err; (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", items[i].Source, err, want)
		}
	}
	if w := registrytest.Writes(dst.Requests()); len(w) > 0 {
		t.Errorf("verifying wrote: %v", w)
	}
	if _, err := LoadPublicKey([]byte("not a key")); err == nil {
		t.Error("a bad key was loaded")
	}
}

// TestSourceSignatureCountsOnlyForAFilteredCopy is issue 23 item 3: a lock
// (or archive) pairing a signed index S with any manifest M as its
// "filtered" copy must not let S's signature vouch for M. M passes only
// when it is proven to keep nothing but S's own platform manifests.
func TestSourceSignatureCountsOnlyForAFilteredCopy(t *testing.T) {
	src, dst := registrytest.New(t), registrytest.New(t)
	key := registrytest.NewSigningKey(t)
	signed, kids := src.PushPlatformIndex(t, "team/web:2.0", "linux/amd64", "linux/arm64")
	payload, sig := key.Sign(t, signed)
	src.PushSignedPayload(t, "team/web", signed, payload, sig)
	amd64, _ := ParsePlatforms("linux/amd64")
	c := newClient(t, Options{Platforms: amd64})
	web := item(src.Ref("team/web:2.0"), dst.Ref("m/team/web:2.0"))
	r := c.Copy(context.Background(), []Item{web})
	requireOK(t, r)
	filtered := r.Results[0].Digest
	sourceIndex := registrytest.Manifest(t, src.Ref("team/web@"+signed.String()))
	v, err := LoadPublicKey(key.PubPEM)
	if err != nil {
		t.Fatal(err)
	}
	arm64 := mustImageAt(t, src.Ref("team/web@"+kids[1].String()))
	unrelated := dst.PushImage(t, "m/team/web:unrelated") // any manifest
	forged := dst.Push(t, "m/team/web:forged", mutate.AppendManifests(
		mutate.Annotations(empty.Index, map[string]string{AnnotationSourceIndex: base64.StdEncoding.EncodeToString(sourceIndex)}).(v1.ImageIndex),
		mutate.IndexAddendum{Add: mustRandomImage(t), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}}))
	relabelled := dst.Push(t, "m/team/web:relabelled", mutate.AppendManifests(
		mutate.Annotations(empty.Index, map[string]string{AnnotationSourceIndex: base64.StdEncoding.EncodeToString(sourceIndex)}).(v1.ImageIndex),
		mutate.IndexAddendum{Add: arm64, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}}))
	// Inside the gap: the source cannot be asked.
	src.Fault = func(w http.ResponseWriter, _ *http.Request) bool { w.WriteHeader(http.StatusNotFound); return true }
	offline := newClient(t, Options{Retries: -1})
	check := func(destDigest string) Result {
		t.Helper()
		it := web
		it.Digest, it.SourceDigest = destDigest, signed.String()
		return offline.VerifySignatures(context.Background(), []Item{it}, v).Results[0]
	}
	if res := check(filtered); res.Outcome != Present {
		t.Fatalf("the real filtered copy: %s %v", res.Outcome, res.Err)
	}

	for _, tc := range []struct {
		name, tag string
		digest    v1.Hash
		want      string
	}{
		{"an unrelated image", "unrelated", unrelated, unrelated.String() + " is not shown to be a platform-filtered copy of the signed " + signed.String()},
		{"an index with a foreign manifest", "forged", forged, "which the signed index does not"},
		{"a child under another platform", "relabelled", relabelled, "the signed index as"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := web
			it.Destination = dst.Ref("m/team/web:" + tc.tag)
			it.Digest, it.SourceDigest = tc.digest.String(), signed.String()
			res := offline.VerifySignatures(context.Background(), []Item{it}, v).Results[0]
			if res.Outcome != Unsigned || !strings.Contains(fmt.Sprint(res.Err), tc.want) {
				t.Errorf("%s: %s %v, want unsigned naming %q", tc.name, res.Outcome, res.Err, tc.want)
			}
		})
	}

	// One platform manifest of the signed index, pinned alone: proven
	// against the source index when it can be read.
	src.Fault = nil
	child := web
	child.Destination = dst.Ref("m/team/web:amd64")
	requireOK(t, newClient(t, Options{}).Copy(context.Background(), []Item{item(src.Ref("team/web@"+kids[0].String()), child.Destination)}))
	child.Digest, child.SourceDigest = kids[0].String(), signed.String()
	if res := offline.VerifySignatures(context.Background(), []Item{child}, v).Results[0]; res.Outcome != Present {
		t.Errorf("a platform manifest of the signed index: %s %v", res.Outcome, res.Err)
	}
}

func mustRandomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func mustImageAt(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
