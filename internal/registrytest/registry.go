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
	// Host is "127.0.0.1:PORT"; go-containerregistry speaks plain HTTP to
	// loopback addresses.
	Host string
	// Fault, when set, may answer a request instead of the registry; it
	// returns false to let the request through.
	Fault func(w http.ResponseWriter, r *http.Request) bool

	mu       sync.Mutex
	requests []string // "METHOD /path"
}

// New starts a registry that stops when the test ends.
func New(t testing.TB) *Registry {
	t.Helper()
	r := &Registry{}
	quiet := log.New(io.Discard, "", 0)
	h := registry.New(registry.Logger(quiet))
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
	if err := remote.Push(ref, obj); err != nil {
		t.Fatalf("seeding %s: %v", ref, err)
	}
	desc, err := remote.Head(ref)
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
	desc, err := remote.Head(parsed)
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
	_, err = remote.Head(parsed)
	return err == nil
}

// Manifest returns the raw manifest of a reference.
func Manifest(t testing.TB, ref string) []byte {
	t.Helper()
	parsed, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(parsed)
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
