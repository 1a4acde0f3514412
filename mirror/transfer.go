package mirror

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/sync/errgroup"
)

// Transfer is what a run did with the blobs (layers and configs) of the
// images it wrote, in bytes. Manifests are not counted: they are small and
// always written.
type Transfer struct {
	// Moved is what was sent: read from the source (or the archive) and
	// uploaded, or written into an archive. A retried upload counts again.
	Moved int64
	// Present is what the destination repository already had.
	Present int64
	// Mounted is what the registry linked from another of its repositories
	// (the source's, when both are on one registry, or one this run had
	// already written the blob to) without a byte sent.
	Mounted int64
	// Shared is what another image of this run had already sent to the
	// same repository: a base layer of many images goes once.
	Shared int64
	// LeftOut is what an archive left out because the inside has it
	// (mirror --to-archive --have).
	LeftOut int64
	// Elapsed is the run's wall time.
	Elapsed time.Duration
	// Archive marks the figures of writing an archive: Moved is what was
	// written into it, Present what it already held.
	Archive bool
}

// Skipped is every blob byte not sent.
func (t Transfer) Skipped() int64 { return t.Present + t.Mounted + t.Shared + t.LeftOut }

// String is the run's summary: "blobs: 1.2 GiB sent in 40s (30.1 MiB/s),
// 300.0 MiB skipped (...)".
func (t Transfer) String() string {
	rate := formatBytes(bytesPerSecond(t.Moved, t.Elapsed)) + "/s"
	if t.Archive {
		return fmt.Sprintf("blobs: %s written in %s (%s), %s skipped (%s already in the archive, %s left out: the inside has them, %s shared by images of this run)",
			formatBytes(t.Moved), t.Elapsed.Round(100*time.Millisecond), rate,
			formatBytes(t.Skipped()), formatBytes(t.Present), formatBytes(t.LeftOut), formatBytes(t.Shared))
	}
	return fmt.Sprintf("blobs: %s sent in %s (%s), %s skipped (%s already at the destination, %s mounted from another repository, %s shared by images of this run)",
		formatBytes(t.Moved), t.Elapsed.Round(100*time.Millisecond), rate,
		formatBytes(t.Skipped()), formatBytes(t.Present), formatBytes(t.Mounted), formatBytes(t.Shared))
}

// formatBytes writes a byte count for people: "1.2 GiB", "512 B".
func formatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("% .1f", decor.SizeB1024(n))
}

// transfer is one run's writing to registries: one go-containerregistry
// Pusher for the whole run, so a blob needed by several images of one
// repository is uploaded once (the Pusher dedupes by digest per
// repository), and the registry-wide record of where this run put each
// blob, so an image of another repository mounts it instead of sending it
// again (the Pusher mounts a remote.MountableLayer, but only knows the
// repository it is given).
type transfer struct {
	pusher    *remote.Pusher
	layerJobs int
	start     time.Time

	mu     sync.Mutex
	homes  map[string]*blobHome // REGISTRY@DIGEST -> the repository it went to first
	wanted map[string]bool      // REGISTRY/REPO@DIGEST asked for by this run

	mounts sync.Map // REGISTRY/REPO@DIGEST the registry answered a mount for
	sent   sync.Map // REGISTRY/REPO@DIGEST whose bytes an upload of this run read

	moved, present, mounted, shared atomic.Int64
}

// blobHome is the first repository of a registry a blob is written to in
// a run; done is closed once it is there (ok) or failed.
type blobHome struct {
	repo name.Repository
	done chan struct{}
	ok   bool
}

func (c *Client) newTransfer() (*transfer, error) {
	x := &transfer{
		layerJobs: c.opts.LayerJobs,
		start:     time.Now(),
		homes:     map[string]*blobHome{},
		wanted:    map[string]bool{},
	}
	observed := &mountObserver{next: c.transport, x: x}
	p, err := remote.NewPusher(c.remoteOptions(remote.WithTransport(observed), remote.WithJobs(c.opts.LayerJobs))...)
	if err != nil {
		return nil, err
	}
	x.pusher = p
	return x, nil
}

// totals are the run's figures so far.
func (x *transfer) totals() Transfer {
	if x == nil {
		return Transfer{}
	}
	return Transfer{
		Moved: x.moved.Load(), Present: x.present.Load(), Mounted: x.mounted.Load(), Shared: x.shared.Load(),
		Elapsed: time.Since(x.start),
	}
}

// pushImage writes t to ref: the blobs of an image first, LayerJobs at
// once, each through the run's Pusher, then the manifest.
func (x *transfer) pushImage(ctx context.Context, ref name.Reference, t remote.Taggable, tr *tracker) error {
	img, err := pushedImage(t)
	if err != nil {
		return err
	}
	if img == nil {
		return x.pusher.Push(ctx, ref, t) // no blobs of its own to send
	}
	if err := x.uploadBlobs(ctx, ref.Context(), img, tr); err != nil {
		return err
	}
	// The caller has found the manifest missing (holds): no second HEAD.
	return x.pusher.Put(ctx, ref, img)
}

// pushedImage is t as an image with blobs, or nil for a manifest without
// (an index, handled by pushTree, or another kind of artifact).
func pushedImage(t remote.Taggable) (v1.Image, error) {
	switch v := t.(type) {
	case v1.Image:
		return v, nil
	case *remote.Descriptor:
		if v.MediaType.IsImage() {
			return v.Image()
		}
	}
	return nil, nil
}

// uploadBlobs uploads an image's layers and config, layerJobs at once. A
// failed blob does not cancel the others: what is uploaded stays, and the
// retry of the image finds it there.
func (x *transfer) uploadBlobs(ctx context.Context, repo name.Repository, img v1.Image, tr *tracker) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	cfg, err := partial.ConfigLayer(img)
	if err != nil {
		return err
	}
	blobs := append(layers, cfg)
	var total int64
	for _, l := range blobs {
		if size, err := l.Size(); err == nil {
			total += size
		}
	}
	tr.grow(total)
	var g errgroup.Group
	g.SetLimit(x.layerJobs)
	for _, l := range blobs {
		g.Go(func() error { return x.uploadBlob(ctx, repo, l, tr) })
	}
	return g.Wait()
}

// uploadBlob uploads one blob to repo unless the repository has it, with
// a mount from the repository of the same registry this run wrote it to
// first (waiting for that upload to finish when it is under way), else
// from the source repository when the source layer is mountable.
func (x *transfer) uploadBlob(ctx context.Context, repo name.Repository, l v1.Layer, tr *tracker) error {
	if mt, err := l.MediaType(); err == nil && !mt.IsDistributable() {
		return nil // a foreign layer: pulled from its URLs, never copied
	}
	h, err := l.Digest()
	if err != nil {
		return err
	}
	size, err := l.Size()
	if err != nil {
		return err
	}
	first, home, owner := x.claim(repo, h)
	var from name.Reference
	if !owner && home.repo != repo {
		select {
		case <-home.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if home.ok {
			from = home.repo.Digest(h.String())
		}
	}
	counted := &countedLayer{Layer: l, x: x, tr: tr, key: repoKey(repo, h)}
	var up v1.Layer = counted
	if ml, ok := l.(*remote.MountableLayer); ok {
		counted.Layer = ml.Layer
		if from == nil {
			from = ml.Reference
		}
	}
	if from != nil {
		up = &remote.MountableLayer{Layer: counted, Reference: from}
	}
	err = x.pusher.Upload(ctx, repo, up)
	if owner {
		x.settle(home, h, err == nil)
	}
	if err == nil && !counted.opened.Load() {
		x.skipped(repo, h, size, first, tr)
	}
	return err
}

// claim records that repo wants blob h: first is whether it is the first
// time in this run, home the registry's first repository for the blob,
// owner whether that is this call's to write.
func (x *transfer) claim(repo name.Repository, h v1.Hash) (first bool, home *blobHome, owner bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	key := repoKey(repo, h)
	first = !x.wanted[key]
	x.wanted[key] = true
	regKey := registryKey(repo, h)
	if home = x.homes[regKey]; home == nil {
		home = &blobHome{repo: repo, done: make(chan struct{})}
		x.homes[regKey] = home
		owner = true
	}
	return first, home, owner
}

// settle ends the owner's upload; a failed one frees the blob for the next
// image to write.
func (x *transfer) settle(home *blobHome, h v1.Hash, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	home.ok = ok
	close(home.done)
	if !ok {
		delete(x.homes, registryKey(home.repo, h))
		delete(x.wanted, repoKey(home.repo, h))
	}
}

// skipped counts a blob written without a byte of it sent by this call:
// shared when another image of the run asked for it first or sent it (the
// Pusher runs one upload per blob and repository, whichever image's it is).
func (x *transfer) skipped(repo name.Repository, h v1.Hash, size int64, first bool, tr *tracker) {
	tr.advance(size)
	key := repoKey(repo, h)
	_, sentByAnother := x.sent.Load(key)
	switch _, mounted := x.mounts.Load(key); {
	case !first || sentByAnother:
		x.shared.Add(size)
	case mounted:
		x.mounted.Add(size)
	default:
		x.present.Add(size)
	}
}

// registryKey names a blob on a registry: REGISTRY@DIGEST.
func registryKey(repo name.Repository, h v1.Hash) string {
	return repo.RegistryStr() + "@" + h.String()
}

// repoKey names a blob in a repository: REGISTRY/REPO@DIGEST.
func repoKey(repo name.Repository, h v1.Hash) string {
	return repo.RegistryStr() + "/" + repo.RepositoryStr() + "@" + h.String()
}

// countedLayer counts the bytes read from a blob for the run and its bar;
// opened tells a blob sent from one the registry had or mounted.
type countedLayer struct {
	v1.Layer
	x      *transfer
	tr     *tracker
	key    string // REGISTRY/REPO@DIGEST it is uploaded to
	opened atomic.Bool
}

func (l *countedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	l.opened.Store(true)
	l.x.sent.Store(l.key, true)
	return &countingReader{ReadCloser: rc, l: l}, nil
}

type countingReader struct {
	io.ReadCloser
	l *countedLayer
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	r.l.x.moved.Add(int64(n))
	r.l.tr.advance(int64(n))
	return n, err
}

// mountObserver notes the mounts a registry grants (a 201 to a POST
// .../blobs/uploads/?mount=DIGEST&from=REPO), which go-containerregistry
// does not report.
type mountObserver struct {
	next http.RoundTripper
	x    *transfer
}

func (o *mountObserver) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodPost || resp.StatusCode != http.StatusCreated {
		return resp, err
	}
	digest := req.URL.Query().Get("mount")
	repo, ok := strings.CutSuffix(strings.TrimPrefix(req.URL.Path, "/v2/"), "/blobs/uploads/")
	if digest != "" && req.URL.Query().Get("from") != "" && ok {
		o.x.mounts.Store(req.URL.Host+"/"+repo+"@"+digest, true)
	}
	return resp, nil
}

// countPresent counts the blobs of an image found whole at the destination
// (its manifest, and an index's children, read from src) as present, or as
// shared when another image of the run already counted them there. They
// also become mount sources for the rest of the run. It only counts: a
// manifest it cannot read leaves its blobs uncounted.
func (x *transfer) countPresent(ctx context.Context, repo name.Repository, h v1.Hash, raw []byte, src treeSource) {
	if x == nil {
		return
	}
	eachBlob(ctx, h, raw, src, func(d v1.Descriptor) {
		if x.found(repo, d.Digest) {
			x.present.Add(d.Size)
		} else {
			x.shared.Add(d.Size)
		}
	})
}

// found records that repo holds blob h, making it the registry's mount
// source when it has none (a claim settled at once); it reports whether
// this is the first time the run met the blob in repo.
func (x *transfer) found(repo name.Repository, h v1.Hash) bool {
	first, home, owner := x.claim(repo, h)
	if owner {
		x.settle(home, h, true)
	}
	return first
}
