package mirror

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/lock"
)

// supplyFixture is a source registry (referrers API on or off) holding a
// two-platform index with a cosign signature on the index and an SBOM
// (OCI 1.1 referrer) on its arm64 manifest, and a single image with a
// signature; the destination has no referrers API, so copies there go
// through the tag fallback. Registries without the referrers API are
// distribution registries (v3 has none); with it, in-memory ones.
type supplyFixture struct {
	src, dst  *registrytest.Registry
	items     []Item
	index     v1.Hash
	children  []v1.Hash // amd64, arm64
	referrers map[string][]lock.Referrer
}

func newSupplyFixture(t *testing.T, srcOpts ...registrytest.Option) *supplyFixture {
	t.Helper()
	var src *registrytest.Registry
	if len(srcOpts) > 0 {
		src = registrytest.New(t, srcOpts...)
	} else {
		src = registrytest.NewDistribution(t)
	}
	f := &supplyFixture{src: src, dst: registrytest.NewDistribution(t), referrers: map[string][]lock.Referrer{}}
	registrytest.Login(t, f.src, f.dst)
	f.index, f.children = f.src.PushPlatformIndex(t, "team/web:2.0", "linux/amd64", "linux/arm64")
	indexSig := f.src.PushCosignSignature(t, "team/web", f.index)
	sbom := f.src.PushReferrer(t, "team/web", f.children[1], "application/spdx+json")
	sbomSig := f.src.PushCosignSignature(t, "team/web", sbom) // a signed SBOM: a referrer of a referrer
	api := f.src.PushImage(t, "team/api:1.0")
	apiSig := f.src.PushCosignSignature(t, "team/api", api)
	f.items = []Item{
		item(f.src.Ref("team/web:2.0"), f.dst.Ref("mirror/team/web:2.0")),
		item(f.src.Ref("team/api:1.0"), f.dst.Ref("mirror/team/api:1.0")),
	}
	f.referrers[f.items[0].Source] = sortRefs([]lock.Referrer{
		{Digest: indexSig.String(), Tag: cosignTag(f.index, ".sig")},
		{Digest: sbom.String()},
		{Digest: sbomSig.String(), Tag: cosignTag(sbom, ".sig")},
	})
	f.referrers[f.items[1].Source] = []lock.Referrer{{Digest: apiSig.String(), Tag: cosignTag(api, ".sig")}}
	return f
}

func sortRefs(rs []lock.Referrer) []lock.Referrer {
	out := append([]lock.Referrer(nil), rs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Digest+out[i].Tag < out[j].Digest+out[j].Tag })
	return out
}

// assertReferrers checks each result names the expected referrers and the
// destination holds every one at its digest.
func (f *supplyFixture) assertReferrers(t *testing.T, r *Report, dst *registrytest.Registry) {
	t.Helper()
	for _, res := range r.Results {
		want := f.referrers[res.Item.Source]
		if got := sortRefs(res.Referrers); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: referrers %v, want %v", res.Item.Source, got, want)
		}
		ref, err := name.ParseReference(res.Item.CopyDestination())
		if err != nil {
			t.Fatal(err)
		}
		repo := dst.Host + "/" + ref.Context().RepositoryStr()
		for _, ref := range want {
			at := repo + "@" + ref.Digest
			if ref.Tag != "" {
				at = repo + ":" + ref.Tag
			}
			if got := dst.Digest(t, at).String(); got != ref.Digest {
				t.Errorf("%s: digest %s, want %s", at, got, ref.Digest)
			}
		}
	}
}

func TestReferrersTravelRegistryToRegistry(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []registrytest.Option
	}{{"source with the referrers API", []registrytest.Option{registrytest.WithReferrersAPI()}}, {"source with the tag fallback", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newSupplyFixture(t, tc.opts...)
			c := newClient(t, Options{})
			r := c.Copy(context.Background(), f.items)
			requireOK(t, r)
			f.assertReferrers(t, r, f.dst)
			if total, copied := r.ReferrerCounts(); total != 4 || copied != 4 {
				t.Errorf("referrers: %d, %d copied; want 4, 4", total, copied)
			}
			// The SBOM is found at the destination the way a policy
			// controller finds it: by its subject.
			refs, err := c.findReferrers(context.Background(), mustRepo(t, f.dst.Ref("mirror/team/web")), []v1.Hash{f.children[1]})
			if err != nil || len(refs) != 2 {
				t.Errorf("the destination lists %d referrers of the arm64 manifest (%v), want the SBOM and its signature", len(refs), err)
			}

			// Again: nothing written, everything present.
			f.dst.Requests()
			r = c.Copy(context.Background(), f.items)
			requireOK(t, r)
			if _, copied := r.ReferrerCounts(); copied != 0 {
				t.Errorf("second run copied %d referrers", copied)
			}
			if w := registrytest.Writes(f.dst.Requests()); len(w) > 0 {
				t.Errorf("second run wrote: %v", w)
			}

			// verify --strict: complete now; a deleted referrer is caught.
			requireOK(t, c.Verify(context.Background(), f.items, true))
			sig := f.referrers[f.items[1].Source][0]
			f.dst.Delete(t, "mirror/team/api:"+sig.Tag)
			v := c.Verify(context.Background(), f.items, true)
			if got := v.Results[1]; got.Outcome != Unattached || len(got.Referrers) != 1 || got.Referrers[0].Tag != sig.Tag {
				t.Errorf("after deleting the signature: %s %v", got.Outcome, got.Referrers)
			}
			if v.OK() {
				t.Error("verify --strict passed with a signature missing")
			}
			if got := c.Verify(context.Background(), f.items, false); !got.OK() {
				t.Error("non-strict verify checks referrers")
			}
		})
	}
}

func TestNoReferrers(t *testing.T) {
	f := newSupplyFixture(t)
	c := newClient(t, Options{NoReferrers: true})
	r := c.Copy(context.Background(), f.items)
	requireOK(t, r)
	if total, _ := r.ReferrerCounts(); total != 0 {
		t.Errorf("--no-referrers copied %d", total)
	}
	sig := f.referrers[f.items[1].Source][0]
	if registrytest.Exists(f.dst.Ref("mirror/team/api:" + sig.Tag)) {
		t.Error("the signature was copied")
	}
}

func TestReferrersTravelThroughTheArchive(t *testing.T) {
	f := newSupplyFixture(t, registrytest.WithReferrersAPI())
	bundle := filepath.Join(t.TempDir(), "bundle.tar")
	c := newClient(t, Options{})
	r, err := c.ToArchive(context.Background(), f.items, bundle, ArchiveOptions{Prefixes: []string{f.dst.Host + "/mirror"}})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	f.assertReferrersListed(t, r)

	// Re-archiving downloads nothing.
	f.src.Requests()
	r, err = c.ToArchive(context.Background(), f.items, bundle, ArchiveOptions{Prefixes: []string{f.dst.Host + "/mirror"}})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	f.assertReferrersListed(t, r)
	if g := registrytest.BlobGets(f.src.Requests()); len(g) > 0 {
		t.Errorf("re-archiving downloaded %v", g)
	}

	a, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := CheckDestinations(a.Entries, a.Prefixes); err != nil {
		t.Fatal(err)
	}
	inside := registrytest.New(t, registrytest.WithReferrersAPI())
	entries := a.Entries
	for i := range entries {
		entries[i].Destination = inside.Host + strings.TrimPrefix(entries[i].Destination, f.dst.Host)
	}
	p := c.Push(context.Background(), a, entries)
	requireOK(t, p)
	f.assertReferrers(t, p, inside)
	v := c.Verify(context.Background(), archiveItems(a), true)
	requireOK(t, v)
	for _, r := range f.referrers[f.items[0].Source] {
		if r.Tag == "" { // the SBOM, found by its subject
			inside.Delete(t, "mirror/team/web@"+r.Digest)
		}
	}
	if v := c.Verify(context.Background(), archiveItems(a), true); v.OK() || v.Count(Unattached) != 1 {
		t.Errorf("verify --strict from the archive after deleting a referrer: %v", outcomes(v))
	}
}

func (f *supplyFixture) assertReferrersListed(t *testing.T, r *Report) {
	t.Helper()
	for _, res := range r.Results {
		if got, want := sortRefs(res.Referrers), f.referrers[res.Item.Source]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: referrers %v, want %v", res.Item.Source, got, want)
		}
	}
}

func TestPlatformFilter(t *testing.T) {
	f := newSupplyFixture(t)
	amd64, _ := ParsePlatforms("linux/amd64")
	c := newClient(t, Options{Platforms: amd64})
	web := f.items[:1]
	r := c.Copy(context.Background(), web)
	requireOK(t, r)
	res := r.Results[0]
	if res.SourceDigest != f.index.String() || res.Digest == f.index.String() {
		t.Fatalf("filtered copy: digest %s, source digest %s (index %s)", res.Digest, res.SourceDigest, f.index)
	}
	if got := fmt.Sprint(res.Platforms); got != fmt.Sprintf("[{linux/amd64 %s}]", f.children[0]) {
		t.Errorf("platforms kept: %s", got)
	}
	if got := f.dst.Digest(t, web[0].CopyDestination()).String(); got != res.Digest {
		t.Errorf("destination holds %s, want the filtered index %s", got, res.Digest)
	}
	if got := children(registrytest.Manifest(t, web[0].CopyDestination())); len(got) != 1 || got[0].Digest != f.children[0] {
		t.Errorf("destination index lists %v", got)
	}
	// The index's signature travels; the arm64 SBOM does not.
	if got := len(res.Referrers); got != 1 || res.Referrers[0].Tag != cosignTag(f.index, ".sig") {
		t.Errorf("referrers kept: %v", res.Referrers)
	}
	// Again: present, nothing written.
	f.dst.Requests()
	r = c.Copy(context.Background(), web)
	requireOK(t, r)
	if r.Results[0].Outcome != Present {
		t.Errorf("second filtered copy: %s", r.Results[0].Outcome)
	}
	if w := registrytest.Writes(f.dst.Requests()); len(w) > 0 {
		t.Errorf("second filtered copy wrote: %v", w)
	}
	// verify --strict accepts the filtered index it was told of (a lock
	// or an archive), and refuses the source's.
	filtered := web[0]
	filtered.Digest, filtered.ReferrersKnown = res.Digest, true
	requireOK(t, c.Verify(context.Background(), []Item{filtered}, true))
	filtered.Digest = f.index.String()
	if got := c.Verify(context.Background(), []Item{filtered}, true).Results[0].Outcome; got != Mismatch {
		t.Errorf("strict verify against the unfiltered digest: %s", got)
	}
	// A platform the index lacks is an error naming those it has.
	s390x, _ := ParsePlatforms("linux/s390x")
	r = newClient(t, Options{Platforms: s390x}).Copy(context.Background(), web)
	if err := r.Results[0].Err; err == nil || !strings.Contains(err.Error(), "it has linux/amd64, linux/arm64") {
		t.Errorf("missing platform: %v", err)
	}
}

func TestPlatformFilterInTheArchive(t *testing.T) {
	f := newSupplyFixture(t)
	plats, _ := ParsePlatforms("linux/arm64")
	c := newClient(t, Options{Platforms: plats})
	bundle := filepath.Join(t.TempDir(), "bundle.tar")
	r, err := c.ToArchive(context.Background(), f.items[:1], bundle, ArchiveOptions{Prefixes: []string{f.dst.Host}})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	a, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	e := a.Entries[0]
	if e.Descriptor.Digest.String() != r.Results[0].Digest || e.Descriptor.Annotations[AnnotationSourceDigest] != f.index.String() {
		t.Errorf("archived %s (source %s), want the filtered %s of %s", e.Descriptor.Digest, e.Descriptor.Annotations[AnnotationSourceDigest], r.Results[0].Digest, f.index)
	}
	p := c.Push(context.Background(), a, a.Entries)
	requireOK(t, p)
	if p.Results[0].SourceDigest != f.index.String() {
		t.Errorf("push result source digest %q", p.Results[0].SourceDigest)
	}
	// Signature of the index, SBOM of arm64 and the SBOM's signature.
	if got := len(p.Results[0].Referrers); got != 3 {
		t.Errorf("pushed %d referrers, want 3: %v", got, p.Results[0].Referrers)
	}
	requireOK(t, c.Verify(context.Background(), archiveItems(a), true))
}

func TestParsePlatforms(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"linux/amd64", "[linux/amd64]"},
		{"linux/amd64, linux/arm64/v8", "[linux/amd64 linux/arm64/v8]"},
		{"linux", "error"},
		{"", "error"},
		{",", "error"},
	} {
		ps, err := ParsePlatforms(tt.in)
		got := "error"
		if err == nil {
			var s []string
			for _, p := range ps {
				s = append(s, p.String())
			}
			got = fmt.Sprintf("%v", s)
		}
		if got != tt.want {
			t.Errorf("ParsePlatforms(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
