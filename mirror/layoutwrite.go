package mirror

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// writeTaggable writes an index, image or other single manifest (a chart,
// an SBOM artifact) with everything it references into the layout. A blob
// the layout already holds at its size is not fetched again (so an
// interrupted run resumes); a new one is written under a temporary name,
// checked against its digest and renamed into place, so no blob file ever
// holds partial or wrong content. A config or layer have reports (the
// inside already holds it: mirror --have) is left out; manifests never are.
func writeTaggable(lp layout.Path, t remote.Taggable, have func(v1.Hash) bool) error {
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

func writeIndexTree(lp layout.Path, idx v1.ImageIndex, raw []byte, have func(v1.Hash) bool) error {
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
	return putBytes(lp, raw)
}

func writeImageBlobs(lp layout.Path, img v1.Image, raw []byte, have func(v1.Hash) bool) error {
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		if mt, err := l.MediaType(); err == nil && !mt.IsDistributable() {
			continue // a foreign layer: pulled from its URLs, never copied
		}
		d, err := l.Digest()
		if err != nil {
			return err
		}
		if have != nil && have(d) {
			continue
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		if err := putBlob(lp, d, size, l.Compressed); err != nil {
			return err
		}
	}
	if cfgName, err := img.ConfigName(); err == nil && have != nil && have(cfgName) {
		return putBytes(lp, raw)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	if err := putBytes(lp, cfg); err != nil {
		return err
	}
	return putBytes(lp, raw)
}

// putBytes writes a small blob (a manifest or config) named by its digest.
func putBytes(lp layout.Path, data []byte) error {
	sum := sha256.Sum256(data)
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	return putBlob(lp, h, int64(len(data)), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// putBlob writes one blob unless the layout has it at this size.
func putBlob(lp layout.Path, h v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
	dir := filepath.Join(string(lp), "blobs", h.Algorithm)
	final := filepath.Join(dir, h.Hex)
	if info, err := os.Stat(final); err == nil && info.Mode().IsRegular() && info.Size() == size {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return writeAtomic(final, func(w io.Writer) error {
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
