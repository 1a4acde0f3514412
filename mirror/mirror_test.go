package mirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/plan"
)

// TestMain points DOCKER_CONFIG at an empty directory: no credentials from
// the machine running the tests. A test on distribution registries logs in
// to them (registrytest.Login) for itself.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mirror-test-docker-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("DOCKER_CONFIG", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newClient is a client with test-sized retries (no real waiting) that
// trusts the test CA and reads credentials from the Docker config, as the
// command does (authn.DefaultKeychain).
func newClient(t *testing.T, o Options) *Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	if o.Transport == nil {
		o.Transport = registrytest.Transport(t)
	}
	if testing.Verbose() {
		o.Log = os.Stderr
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// item builds a copy item the way the plan does.
func item(src, dst string) Item {
	img := plan.Image{Source: src, Destination: dst, Status: plan.Copy}
	return Item{Image: img, Digest: img.Digest()}
}

// fixture is a source registry holding one single-arch image, one 3-platform
// index and one image referenced as tag@digest, and an empty destination.
type fixture struct {
	src, dst *registrytest.Registry
	items    []Item
	digests  []v1.Hash // source digest of each item
}

// newFixture runs on two distribution registries (TLS, htpasswd), logged
// in to through the Docker config.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	return seedFixture(t, registrytest.NewDistribution(t), registrytest.NewDistribution(t))
}

// newMemoryFixture runs on in-memory registries, for the tests that inject
// faults (Fault) a real registry cannot be made to produce.
func newMemoryFixture(t *testing.T) *fixture {
	t.Helper()
	return seedFixture(t, registrytest.New(t), registrytest.New(t))
}

func seedFixture(t *testing.T, src, dst *registrytest.Registry) *fixture {
	t.Helper()
	registrytest.Login(t, src, dst)
	f := &fixture{src: src, dst: dst}
	single := f.src.PushImage(t, "team/api:1.0")
	multi := f.src.PushIndex(t, "library/nginx:1.25", 3)
	pinned := f.src.PushImage(t, "team/worker:2.0")
	f.items = []Item{
		item(f.src.Ref("team/api:1.0"), f.dst.Ref("mirror/team/api:1.0")),
		item(f.src.Ref("library/nginx:1.25"), f.dst.Ref("mirror/library/nginx:1.25")),
		item(f.src.Ref("team/worker:2.0@"+pinned.String()), f.dst.Ref("mirror/team/worker:2.0@"+pinned.String())),
	}
	f.digests = []v1.Hash{single, multi, pinned}
	return f
}

// assertMirrored checks every destination holds its source's exact manifest.
func (f *fixture) assertMirrored(t *testing.T) {
	t.Helper()
	for i, it := range f.items {
		if got := f.dst.Digest(t, it.CopyDestination()); got != f.digests[i] {
			t.Errorf("%s: digest %s, want the source's %s", it.CopyDestination(), got, f.digests[i])
		}
		if !registrytest.Exists(it.PullDestination()) {
			t.Errorf("%s does not resolve by digest", it.PullDestination())
		}
		src := registrytest.Manifest(t, it.CopySource())
		if dst := registrytest.Manifest(t, it.PullDestination()); string(src) != string(dst) {
			t.Errorf("%s: manifest bytes differ from the source's", it.Destination)
		}
	}
}

func outcomes(r *Report) []Outcome {
	var out []Outcome
	for _, res := range r.Results {
		out = append(out, res.Outcome)
	}
	return out
}

func requireOK(t *testing.T, r *Report) {
	t.Helper()
	for _, res := range r.Results {
		if res.Err != nil || res.Outcome == Failed {
			t.Fatalf("%s: %s: %v", res.Item.Source, res.Outcome, res.Err)
		}
	}
}

func TestCopyPreservesDigestsAndSkipsOnRerun(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, Options{Jobs: 2})
	r := c.Copy(context.Background(), f.items)
	requireOK(t, r)
	if got := outcomes(r); fmt.Sprint(got) != "[copied copied copied]" {
		t.Fatalf("first run outcomes %v", got)
	}
	f.assertMirrored(t)

	// Every platform of the index was copied, not just one.
	idx := f.dst.Ref("mirror/library/nginx:1.25")
	manifest := registrytest.Manifest(t, idx)
	for _, child := range childDigests(t, manifest) {
		if !registrytest.Exists(f.dst.Ref("mirror/library/nginx@" + child)) {
			t.Errorf("platform manifest %s of the index was not copied", child)
		}
	}

	f.src.Requests()
	f.dst.Requests()
	r = c.Copy(context.Background(), f.items)
	requireOK(t, r)
	if got := outcomes(r); fmt.Sprint(got) != "[present present present]" {
		t.Fatalf("second run outcomes %v", got)
	}
	if w := registrytest.Writes(f.dst.Requests()); len(w) > 0 {
		t.Errorf("the second run wrote to the destination: %v", w)
	}
	srcReqs := f.src.Requests()
	if g := registrytest.BlobGets(srcReqs); len(g) > 0 {
		t.Errorf("the second run downloaded blobs: %v", g)
	}
	for _, req := range srcReqs {
		if strings.HasPrefix(req, "GET ") && strings.Contains(req, "/manifests/") {
			t.Errorf("the second run fetched a manifest instead of a HEAD: %s", req)
		}
	}
}

func childDigests(t *testing.T, manifest []byte) []string {
	t.Helper()
	im, err := v1.ParseIndexManifest(strings.NewReader(string(manifest)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range im.Manifests {
		out = append(out, d.Digest.String())
	}
	if len(out) < 2 {
		t.Fatalf("index has %d manifests, want several", len(out))
	}
	return out
}

func TestCopyMissingSourceFailsAloneWithoutRetries(t *testing.T) {
	f := newFixture(t)
	missing := item(f.src.Ref("team/gone:9.9"), f.dst.Ref("mirror/team/gone:9.9"))
	items := append([]Item{missing}, f.items...)
	c := newClient(t, Options{Retries: 5})
	f.src.Requests()
	r := c.Copy(context.Background(), items)
	if r.Results[0].Outcome != Failed {
		t.Fatalf("missing source: outcome %s, want failed", r.Results[0].Outcome)
	}
	msg := r.Results[0].Err.Error()
	for _, want := range []string{"team/gone:9.9", "does not exist", "404"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not name %q", msg, want)
		}
	}
	if r.OK() {
		t.Error("report is OK with a failed image")
	}
	for _, res := range r.Results[1:] {
		if res.Outcome != Copied {
			t.Errorf("%s: %s (%v); the others must still be copied", res.Item.Source, res.Outcome, res.Err)
		}
	}
	tries := 0
	for _, req := range f.src.Requests() {
		if strings.Contains(req, "/team/gone/manifests/") {
			tries++
		}
	}
	if tries != 1 {
		t.Errorf("a missing source was asked for %d times; a 404 must not be retried", tries)
	}
}

func TestCopyRecoversFrom401And500(t *testing.T) {
	f := newMemoryFixture(t)
	fault, served := registrytest.FailFirst(500, 401, 503, 401, 500)
	f.dst.Fault = fault
	c := newClient(t, Options{Jobs: 1, Retries: 5})
	r := c.Copy(context.Background(), f.items)
	requireOK(t, r)
	if n := served(); n != 5 {
		t.Fatalf("the registry injected %d faults, want 5", n)
	}
	f.assertMirrored(t)
}

func TestCopyGivesUpAfterRetries(t *testing.T) {
	f := newMemoryFixture(t)
	f.dst.Fault = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v2/" {
			return false
		}
		w.WriteHeader(http.StatusUnauthorized)
		return true
	}
	c := newClient(t, Options{Retries: 2})
	r := c.Copy(context.Background(), f.items[:1])
	if r.Results[0].Outcome != Failed || !strings.Contains(r.Results[0].Err.Error(), "401") {
		t.Fatalf("outcome %s, error %v; want a failure naming the 401", r.Results[0].Outcome, r.Results[0].Err)
	}
}

// cancelOnUpload cancels a context as soon as the first blob upload starts.
type cancelOnUpload struct {
	next   http.RoundTripper
	cancel context.CancelFunc
}

func (c cancelOnUpload) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch || (req.Method == http.MethodPut && strings.Contains(req.URL.Path, "/blobs/uploads/")) {
		c.cancel()
	}
	return c.next.RoundTrip(req)
}

func TestInterruptedCopyCompletesOnRerun(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := newClient(t, Options{Transport: cancelOnUpload{registrytest.Transport(t), cancel}})
	r := interrupted.Copy(ctx, f.items)
	if r.OK() {
		t.Fatal("the interrupted copy reported success")
	}
	for _, res := range r.Results {
		if res.Outcome == Failed && !errors.Is(res.Err, context.Canceled) {
			t.Errorf("%s failed with %v, want context.Canceled", res.Item.Source, res.Err)
		}
	}
	r = newClient(t, Options{}).Copy(context.Background(), f.items)
	requireOK(t, r)
	f.assertMirrored(t)
}

func TestArchiveRoundTrip(t *testing.T) {
	f := newFixture(t)
	chartDigest := f.src.PushChart(t, "charts/platform:1.2.3")
	chart := item(f.src.Ref("charts/platform:1.2.3"), f.dst.Ref("mirror/charts/platform:1.2.3"))
	chart.Chart = true
	items := append(append([]Item(nil), f.items...), chart)
	digests := append(append([]v1.Hash(nil), f.digests...), chartDigest)
	bundle := filepath.Join(t.TempDir(), "bundle.tar")

	c := newClient(t, Options{})
	r, err := c.ToArchive(context.Background(), items, bundle, ArchiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	before := entrySummary(t, bundle)

	// Outside again: nothing is downloaded, the archive keeps its entries.
	f.src.Requests()
	r, err = c.ToArchive(context.Background(), items, bundle, ArchiveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	if got := r.Count(Present); got != len(items) {
		t.Errorf("re-archiving: %d present, want %d (%v)", got, len(items), outcomes(r))
	}
	if g := registrytest.BlobGets(f.src.Requests()); len(g) > 0 {
		t.Errorf("re-archiving downloaded blobs: %v", g)
	}
	if after := entrySummary(t, bundle); after != before {
		t.Errorf("re-archiving changed the entries:\n%s\nwas\n%s", after, before)
	}

	// Inside: the archive alone says what goes where.
	a, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.Entries) != len(items) {
		t.Fatalf("archive has %d entries, want %d", len(a.Entries), len(items))
	}
	for _, e := range a.Entries {
		if e.Chart != (e.Source == chart.Source) {
			t.Errorf("%s: chart=%v", e.Source, e.Chart)
		}
	}
	r = c.Push(context.Background(), a, a.Entries)
	requireOK(t, r)
	for i, it := range items {
		if got := f.dst.Digest(t, it.CopyDestination()); got != digests[i] {
			t.Errorf("%s: pushed digest %s, want the source's %s", it.Destination, got, digests[i])
		}
	}
	f.assertMirrored(t)

	// Verify, strictly: every archived digest is where it belongs.
	v := c.Verify(context.Background(), archiveItems(a), true)
	requireOK(t, v)
	if got := v.Count(Present); got != len(items) {
		t.Errorf("verify: %v", outcomes(v))
	}

	// Inside again: nothing is written.
	f.dst.Requests()
	r = c.Push(context.Background(), a, a.Entries)
	requireOK(t, r)
	if w := registrytest.Writes(f.dst.Requests()); len(w) > 0 {
		t.Errorf("pushing again wrote: %v", w)
	}
}

// entrySummary lists an archive's entries: source, destination, digest.
func entrySummary(t *testing.T, path string) string {
	t.Helper()
	a, err := OpenArchive(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var b strings.Builder
	for _, e := range a.Entries {
		fmt.Fprintf(&b, "%s %s %s %v\n", e.Source, e.Destination, e.Descriptor.Digest, e.Chart)
	}
	return b.String()
}

func archiveItems(a *Archive) []Item {
	var items []Item
	for _, e := range a.Entries {
		items = append(items, e.Item)
	}
	return items
}

func TestArchiveRecomputedDestinations(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir() // an OCI layout directory rather than a tar
	c := newClient(t, Options{})
	if _, err := c.ToArchive(context.Background(), f.items[:1], dir, ArchiveOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := OpenArchive(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	other := registrytest.New(t)
	entries := a.Entries
	entries[0].Destination = other.Ref("elsewhere/api:1.0")
	requireOK(t, c.Push(context.Background(), a, entries))
	if got := other.Digest(t, other.Ref("elsewhere/api:1.0")); got != f.digests[0] {
		t.Errorf("recomputed destination holds %s, want %s", got, f.digests[0])
	}
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, Options{})
	requireOK(t, c.Copy(context.Background(), f.items[:2]))
	// The pinned image is absent; then its tag is made to point elsewhere.
	pinned := f.items[2]
	r := c.Verify(context.Background(), f.items, false)
	if got := fmt.Sprint(outcomes(r)); got != "[present present missing]" {
		t.Fatalf("verify: %s", got)
	}

	requireOK(t, c.Copy(context.Background(), []Item{pinned}))
	other := f.src.PushImage(t, "team/other:1")
	requireOK(t, c.Copy(context.Background(), []Item{item(f.src.Ref("team/other:1"), pinned.CopyDestination())}))
	if f.dst.Digest(t, pinned.CopyDestination()) != other {
		t.Fatal("test set-up: the tag was not moved")
	}
	// Non-strict: the digest the runtime pulls is there. Strict: the tag
	// the chart names has another digest.
	if got := c.Verify(context.Background(), []Item{pinned}, false).Results[0]; got.Outcome != Present {
		t.Errorf("non-strict: %s", got.Outcome)
	}
	got := c.Verify(context.Background(), []Item{pinned}, true).Results[0]
	if got.Outcome != Mismatch || got.Got != other.String() || got.Digest != pinned.Digest {
		t.Errorf("strict: outcome %s, got %s, want digest %s", got.Outcome, got.Got, got.Digest)
	}
}

func TestExtractTarRefusesEscapes(t *testing.T) {
	for name, entry := range map[string]string{"parent": "../evil", "absolute": "/evil", "nested": "blobs/../../evil"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tarPath := filepath.Join(dir, "bad.tar")
			writeTarFile(t, tarPath, entry, "x")
			out := filepath.Join(dir, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := extractInto(context.Background(), []string{tarPath}, out); err == nil {
				t.Errorf("extracting %q succeeded", entry)
			}
			if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
				t.Errorf("%q was written outside the extraction directory", entry)
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the progress renderer's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressBarsKeepTheLog(t *testing.T) {
	f := newFixture(t)
	var out syncBuffer
	c := newClient(t, Options{Progress: true, Log: &out})
	c.opts.Log = &out // newClient sends logs to stderr under -v
	requireOK(t, c.Copy(context.Background(), f.items))
	log := out.String()
	for _, it := range f.items {
		if !strings.Contains(log, "copied   "+it.Source) {
			t.Errorf("the log above the bars lacks %s:\n%s", it.Source, log)
		}
	}
	if !strings.Contains(log, "mirroring") || !strings.Contains(log, "3/3 images") {
		t.Errorf("no overall bar drawn:\n%q", log)
	}
}

func mustRepo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
