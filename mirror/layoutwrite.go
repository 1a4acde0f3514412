package mirror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
)

// writeTaggable writes an index, image or other single manifest (a chart,
// an SBOM artifact) with everything it references into the layout. A blob
// the layout already holds at its size is not fetched again (so an
// interrupted run resumes); a new one is written under a temporary name,
// checked against its digest and renamed into place, so no blob file ever
// holds partial or wrong content. A config or layer have reports (the
// inside already holds it: mirror --have) is left out; manifests never are.
func writeTaggable(lp layout.Path, t remote.Taggable, have blobSink) error {
	raw, err := t.RawManifest()
	if err != nil {
		return err
	}
	mt := mediaTypeOf(raw)
	if mt.IsIndex() {
		idx, err := asIndex(t)
		if err != nil {
			return err
		}
		return writeIndexTree(lp, idx, raw, have)
	}
	img, err := asImage(t)
	if err != nil {
		return err
	}
	return writeImageBlobs(lp, img, raw, have)
}

func asIndex(t remote.Taggable) (v1.ImageIndex, error) {
	switch v := t.(type) {
	case v1.ImageIndex:
		return v, nil
	case *remote.Descriptor:
		return v.ImageIndex()
	}
	return nil, fmt.Errorf("cannot read %T as an index", t)
}

func asImage(t remote.Taggable) (v1.Image, error) {
	switch v := t.(type) {
	case v1.Image:
		return v, nil
	case *remote.Descriptor:
		return v.Image()
	}
	return nil, fmt.Errorf("cannot read %T as an image", t)
}

func writeIndexTree(lp layout.Path, idx v1.ImageIndex, raw []byte, have blobSink) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		if hasBlob(lp, d.Digest) {
			continue // written whole by an earlier run: the manifest goes last
		}
		var child remote.Taggable
		if d.MediaType.IsIndex() {
			child, err = idx.ImageIndex(d.Digest)
		} else {
			child, err = idx.Image(d.Digest)
		}
		if err != nil {
			return err
		}
		if err := writeTaggable(lp, child, have); err != nil {
			return err
		}
	}
	_, err = putBytes(lp, raw)
	return err
}

func writeImageBlobs(lp layout.Path, img v1.Image, raw []byte, sink blobSink) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var g errgroup.Group
	g.SetLimit(sink.run.jobs())
	for _, l := range layers {
		if mt, err := l.MediaType(); err == nil && !mt.IsDistributable() {
			continue // a foreign layer: pulled from its URLs, never copied
		}
		d, err := l.Digest()
		if err != nil {
			return err
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		if sink.has(d) {
			sink.run.count(d, size, false, true)
			continue
		}
		g.Go(func() error {
			written, err := sink.run.put(lp, d, size, l.Compressed)
			sink.run.count(d, size, written, false)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := writeConfig(lp, img, sink); err != nil {
		return err
	}
	_, err = putBytes(lp, raw)
	return err
}

// writeConfig writes an image's config unless the inside has it (then it
// is not even fetched).
func writeConfig(lp layout.Path, img v1.Image, sink blobSink) error {
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	if sink.has(m.Config.Digest) {
		sink.run.count(m.Config.Digest, m.Config.Size, false, true)
		return nil
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	written, err := putBytes(lp, cfg)
	sink.run.count(m.Config.Digest, int64(len(cfg)), written, false)
	return err
}

// putBytes writes a small blob (a manifest or config) named by its digest;
// written is false when the layout had it.
func putBytes(lp layout.Path, data []byte) (written bool, err error) {
	sum := sha256.Sum256(data)
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	return putBlob(lp, h, int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// putBlob writes one blob unless the layout has it at this size; written
// says whether it did.
func putBlob(lp layout.Path, h v1.Hash, size int64, open func() (io.ReadCloser, error)) (written bool, err error) {
	dir := filepath.Join(string(lp), "blobs", h.Algorithm)
	final := filepath.Join(dir, h.Hex)
	if info, err := os.Stat(final); err == nil && info.Mode().IsRegular() && info.Size() == size {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	rc, err := open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	return true, writeAtomic(final, func(w io.Writer) error {
		hasher := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, hasher), rc)
		if err != nil {
			return err
		}
		if got := hex.EncodeToString(hasher.Sum(nil)); got != h.Hex || n != size {
			return fmt.Errorf("blob %s: received %d bytes hashing to sha256:%s, want %d bytes", h, n, got, size)
		}
		return nil
	})
}

// blobSink is where the blobs of an archived image go: have says which the
// inside already holds (mirror --have: left out), run is the archive run.
type blobSink struct {
	have func(v1.Hash) bool
	run  *layoutRun
}

func (s blobSink) has(h v1.Hash) bool { return s.have != nil && s.have(h) }

// layoutRun is one run writing an archive: blobs of an image are written
// LayerJobs at once, a blob two images want at the same time is written
// once (the other waits for it), and the bytes are counted for the
// summary. A nil layoutRun writes one blob at a time and counts nothing.
type layoutRun struct {
	layerJobs int
	start     time.Time
	flight    singleflight.Group

	mu   sync.Mutex
	seen map[v1.Hash]bool

	written, present, leftOut, shared atomic.Int64
}

func newLayoutRun(layerJobs int) *layoutRun {
	return &layoutRun{layerJobs: layerJobs, start: time.Now(), seen: map[v1.Hash]bool{}}
}

func (r *layoutRun) jobs() int {
	if r == nil {
		return 1
	}
	return r.layerJobs
}

// put writes a blob, once for all the images wanting it at this moment.
func (r *layoutRun) put(lp layout.Path, h v1.Hash, size int64, open func() (io.ReadCloser, error)) (bool, error) {
	if r == nil {
		return putBlob(lp, h, size, open)
	}
	v, err, _ := r.flight.Do(h.String(), func() (any, error) { return putBlob(lp, h, size, open) })
	written, _ := v.(bool)
	return written, err
}

// count files a blob of an image under written, already in the archive,
// left out, or shared with an image of this run that counted it first.
func (r *layoutRun) count(h v1.Hash, size int64, written, leftOut bool) {
	if r == nil {
		return
	}
	r.mu.Lock()
	first := !r.seen[h]
	r.seen[h] = true
	r.mu.Unlock()
	switch {
	case !first:
		r.shared.Add(size)
	case leftOut:
		r.leftOut.Add(size)
	case written:
		r.written.Add(size)
	default:
		r.present.Add(size)
	}
}

func (r *layoutRun) totals() Transfer {
	return Transfer{
		Moved: r.written.Load(), Present: r.present.Load(), LeftOut: r.leftOut.Load(), Shared: r.shared.Load(),
		Elapsed: time.Since(r.start), Archive: true,
	}
}

// countPresent counts the blobs of an image the archive already holds
// whole (read from the layout): present, or left out when the inside has
// them.
func (s blobSink) countPresent(ctx context.Context, h v1.Hash, raw []byte, src treeSource) {
	if s.run == nil {
		return
	}
	eachBlob(ctx, h, raw, src, func(d v1.Descriptor) { s.run.count(d.Digest, d.Size, false, s.has(d.Digest)) })
}
