package registrytest

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Registry is one in-process registry.
type Registry struct {
	// Host is "127.0.0.1:PORT". go-containerregistry tries HTTPS first on
	// loopback and falls back to plain HTTP, which the in-memory registry
	// speaks; a distribution registry speaks only HTTPS.
	Host string
	// Fault, when set, may answer a request instead of the registry; it
	// returns false to let the request through.
	Fault func(w http.ResponseWriter, r *http.Request) bool

	// Username and Password are a distribution registry's user (empty for
	// the in-memory one, which asks for none).
	Username, Password string
	// Storage is where a distribution registry keeps its blobs and
	// manifests on disk (empty for the in-memory one).
	Storage string

	mu       sync.Mutex
	requests []string // "METHOD /path"
	proc     *process // the distribution registry, when it is one
	t        testing.TB
}

// Option configures a registry.
type Option func(*[]registry.Option)

// WithReferrersAPI serves the OCI 1.1 referrers API; without it clients
// fall back to the "sha256-<hex>" tag index, as with older registries.
func WithReferrersAPI() Option {
	return func(o *[]registry.Option) { *o = append(*o, registry.WithReferrersSupport(true)) }
}

// New starts a registry that stops when the test ends.
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	r := &Registry{t: t}
	quiet := log.New(io.Discard, "", 0)
	ropts := []registry.Option{registry.Logger(quiet)}
	for _, o := range opts {
		o(&ropts)
	}
	h := registry.New(ropts...)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.requests = append(r.requests, req.Method+" "+req.URL.Path)
		fault := r.Fault
		r.mu.Unlock()
		if fault != nil && fault(w, req) {
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.Host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// Requests returns the requests served so far and forgets them.
func (r *Registry) Requests() []string {
	if r.proc != nil {
		if r.Fault != nil {
			panic("registrytest: Fault is set on a distribution registry, which cannot serve it; use New")
		}
		return r.proc.requests(r.t, r.Host)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.requests
	r.requests = nil
	return out
}

// Writes are the requests that change the registry (uploads, manifest
// PUTs, deletes).
func Writes(requests []string) []string {
	var out []string
	for _, req := range requests {
		if !strings.HasPrefix(req, "GET ") && !strings.HasPrefix(req, "HEAD ") {
			out = append(out, req)
		}
	}
	return out
}

// BlobGets are the blob downloads.
func BlobGets(requests []string) []string {
	var out []string
	for _, req := range requests {
		if strings.HasPrefix(req, "GET ") && strings.Contains(req, "/blobs/") {
			out = append(out, req)
		}
	}
	return out
}

// Ref is a reference on this registry.
func (r *Registry) Ref(repoAndTag string) string { return r.Host + "/" + repoAndTag }

// PushImage writes a random single-platform image and returns its digest.
func (r *Registry) PushImage(t testing.TB, repoAndTag string) v1.Hash {
	t.Helper()
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	return r.Push(t, repoAndTag, img)
}

// PushIndex writes a random multi-arch index of platforms images and
// returns its digest.
func (r *Registry) PushIndex(t testing.TB, repoAndTag string, platforms int) v1.Hash {
	t.Helper()
	idx, err := random.Index(1024, 2, int64(platforms))
	if err != nil {
		t.Fatal(err)
	}
	return r.Push(t, repoAndTag, idx)
}

// PushChart writes a Helm chart OCI artifact (helm push's media types).
func (r *Registry) PushChart(t testing.TB, repoAndTag string) v1.Hash {
	t.Helper()
	layer := static.NewLayer([]byte(fmt.Sprintf("chart content for %s", repoAndTag)), "application/vnd.cncf.helm.chart.content.v1.tar+gzip")
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, "application/vnd.cncf.helm.config.v1+json")
	img, err := mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip"})
	if err != nil {
		t.Fatal(err)
	}
	return r.Push(t, repoAndTag, img)
}

// Push writes an image or index.
func (r *Registry) Push(t testing.TB, repoAndTag string, obj remote.Taggable) v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(r.Ref(repoAndTag))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Push(ref, obj, remoteOptions()...); err != nil {
		t.Fatalf("seeding %s: %v", ref, err)
	}
	desc, err := remote.Head(ref, remoteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	r.Requests()
	return desc.Digest
}

// Digest returns what a reference points at on this registry, failing the
// test when it does not exist.
func (r *Registry) Digest(t testing.TB, ref string) v1.Hash {
	t.Helper()
	parsed, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(parsed, remoteOptions()...)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return desc.Digest
}

// Exists reports whether a reference exists.
func Exists(ref string) bool {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return false
	}
	_, err = remote.Head(parsed, remoteOptions()...)
	return err == nil
}

// Manifest returns the raw manifest of a reference.
func Manifest(t testing.TB, ref string) []byte {
	t.Helper()
	parsed, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(parsed, remoteOptions()...)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return desc.Manifest
}

// FailFirst returns a Fault that answers the first len(codes) requests
// other than the /v2/ ping with those status codes, in order, then lets
// everything through. The count of faults served is returned too.
func FailFirst(codes ...int) (func(http.ResponseWriter, *http.Request) bool, func() int) {
	var mu sync.Mutex
	served := 0
	fault := func(w http.ResponseWriter, req *http.Request) bool {
		if req.URL.Path == "/v2/" {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if served >= len(codes) {
			return false
		}
		code := codes[served]
		served++
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"errors":[{"code":"UNKNOWN","message":"injected %d"}]}`, code)
		return true
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return served
	}
	return fault, count
}

// PushPlatformIndex writes a multi-platform index with one random image
// per platform ("linux/amd64", ...) and returns its digest and the
// platform manifests' digests in order.
func (r *Registry) PushPlatformIndex(t testing.TB, repoAndTag string, platforms ...string) (v1.Hash, []v1.Hash) {
	t.Helper()
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	var children []v1.Hash
	for _, p := range platforms {
		img, err := random.Image(512, 1)
		if err != nil {
			t.Fatal(err)
		}
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		children = append(children, d)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	return r.Push(t, repoAndTag, idx), children
}

// PushReferrer writes an OCI 1.1 artifact (such as an SBOM) whose subject
// is the manifest subject in repo, by digest, and returns its digest. The
// registry records it in its referrers API or, without one, the client
// adds it to the "sha256-<hex>" tag index.
func (r *Registry) PushReferrer(t testing.TB, repo string, subject v1.Hash, artifactType string) v1.Hash {
	t.Helper()
	sub, err := remote.Head(r.mustRef(t, repo+"@"+subject.String()), remoteOptions()...)
	if err != nil {
		t.Fatalf("subject %s: %v", subject, err)
	}
	layer := static.NewLayer([]byte(fmt.Sprintf(`{"sbom for":%q}`, subject)), types.MediaType(artifactType))
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.MediaType(artifactType))
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.MediaType(artifactType)})
	if err != nil {
		t.Fatal(err)
	}
	withSubject := mutate.Subject(img, v1.Descriptor{MediaType: sub.MediaType, Size: sub.Size, Digest: sub.Digest}).(v1.Image)
	d, err := withSubject.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r.mustRef(t, repo+"@"+d.String()), withSubject, remoteOptions()...); err != nil {
		t.Fatalf("seeding a referrer of %s: %v", subject, err)
	}
	r.Requests()
	return d
}

// PushCosignSignature writes an image under cosign's signature tag for
// subject ("sha256-<hex>.sig") and returns its digest.
func (r *Registry) PushCosignSignature(t testing.TB, repo string, subject v1.Hash) v1.Hash {
	t.Helper()
	return r.PushImage(t, repo+":"+subject.Algorithm+"-"+subject.Hex+".sig")
}

// Delete removes a manifest (by tag or digest).
func (r *Registry) Delete(t testing.TB, ref string) {
	t.Helper()
	if err := remote.Delete(r.mustRef(t, ref), remoteOptions()...); err != nil {
		t.Fatalf("deleting %s: %v", ref, err)
	}
	r.Requests()
}

func (r *Registry) mustRef(t testing.TB, repoRef string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(r.Ref(repoRef))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// PushSignedPayload writes cosign's signature image for subject: one layer
// holding payload (simple signing JSON) with the base64 signature in
// cosign's annotation, under "sha256-<hex>.sig". It returns its digest.
func (r *Registry) PushSignedPayload(t testing.TB, repo string, subject v1.Hash, payload []byte, signatureB64 string) v1.Hash {
	t.Helper()
	const mt = "application/vnd.dev.cosign.simplesigning.v1+json"
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img, err := mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(payload, mt),
		MediaType:   mt,
		Annotations: map[string]string{"dev.cosignproject.cosign/signature": signatureB64},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r.Push(t, repo+":"+subject.Algorithm+"-"+subject.Hex+".sig", img)
}
