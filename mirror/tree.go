package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sync/errgroup"
)

// Bounds on an index tree (an archive's or a source registry's): indexes
// nest one or two levels in practice; a hostile one listing an inner index
// thousands of times, which lists one manifest thousands of times, must
// cost what its distinct manifests cost, not their product.
const (
	maxNesting       = 4       // indexes inside indexes, the top one counted
	maxTreeManifests = 20000   // distinct manifests under one image
	maxTreeEdges     = 1 << 20 // child entries read, over all distinct indexes
)

// treeSource reads the manifests of a tree by digest.
type treeSource interface {
	// manifest returns the raw manifest with digest h.
	manifest(ctx context.Context, h v1.Hash) ([]byte, error)
	// image opens a non-index manifest for pushing with its blobs.
	image(ctx context.Context, h v1.Hash) (v1.Image, error)
}

// treeNode is one distinct manifest of a tree.
type treeNode struct {
	digest    v1.Hash
	mediaType types.MediaType
	raw       []byte
}

// RawManifest and MediaType make a node a remote.Taggable, for remote.Put.
func (n *treeNode) RawManifest() ([]byte, error)        { return n.raw, nil }
func (n *treeNode) MediaType() (types.MediaType, error) { return n.mediaType, nil }

// manifestTree is every distinct manifest under a root index, children
// before the indexes that list them.
type manifestTree struct {
	order  []*treeNode
	height map[v1.Hash]int // 0 for a non-index, 1 + its tallest child for an index
	edges  int
}

// readTree walks the tree under an index once per distinct digest,
// refusing nesting deeper than maxNesting and trees larger than the bounds.
func readTree(ctx context.Context, root v1.Hash, rootRaw []byte, src treeSource) (*manifestTree, error) {
	t := &manifestTree{height: map[v1.Hash]int{}}
	if _, err := t.visit(ctx, root, rootRaw, src, 1); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *manifestTree) visit(ctx context.Context, h v1.Hash, raw []byte, src treeSource, depth int) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if ht, ok := t.height[h]; ok {
		return ht, nil
	}
	if len(t.order) >= maxTreeManifests {
		return 0, permanent{fmt.Errorf("an image of more than %d distinct manifests", maxTreeManifests)}
	}
	if raw == nil {
		var err error
		if raw, err = src.manifest(ctx, h); err != nil {
			return 0, err
		}
	}
	n := &treeNode{digest: h, mediaType: mediaTypeOf(raw), raw: raw}
	height := 0
	if n.mediaType.IsIndex() {
		if depth > maxNesting {
			return 0, permanent{fmt.Errorf("indexes nest more than %d deep (at %s)", maxNesting, h)}
		}
		kids, err := indexChildren(raw)
		if err != nil {
			return 0, permanent{fmt.Errorf("index %s: %w", h, err)}
		}
		if t.edges += len(kids); t.edges > maxTreeEdges {
			return 0, permanent{fmt.Errorf("indexes listing more than %d manifests in all", maxTreeEdges)}
		}
		for _, k := range kids {
			kh, err := t.visit(ctx, k, nil, src, depth+1)
			if err != nil {
				return 0, err
			}
			height = max(height, kh+1)
		}
		if height > maxNesting {
			return 0, permanent{fmt.Errorf("indexes nest more than %d deep (at %s)", maxNesting, h)}
		}
	}
	t.height[h] = height
	t.order = append(t.order, n)
	return height, nil
}

// eachBlob calls fn with every distributable config and layer of the
// distinct image manifests under h (raw, when read already), as src holds
// them. It is for counting only: a tree it cannot read yields nothing.
func eachBlob(ctx context.Context, h v1.Hash, raw []byte, src treeSource, fn func(v1.Descriptor)) {
	tree, err := readTree(ctx, h, raw, src)
	if err != nil {
		return
	}
	for _, n := range tree.order {
		if n.mediaType.IsIndex() {
			continue
		}
		m, err := v1.ParseManifest(bytes.NewReader(n.raw))
		if err != nil {
			continue
		}
		for _, d := range append(m.Layers, m.Config) {
			if d.MediaType.IsDistributable() {
				fn(d)
			}
		}
	}
}

// indexChildren are the distinct child manifests an index lists, in order.
func indexChildren(raw []byte) ([]v1.Hash, error) {
	var im struct {
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &im); err != nil {
		return nil, err
	}
	if len(im.Manifests) > maxEntries {
		return nil, fmt.Errorf("lists %d manifests, more than the %d allowed", len(im.Manifests), maxEntries)
	}
	seen := make(map[v1.Hash]bool, len(im.Manifests))
	var out []v1.Hash
	for _, d := range im.Manifests {
		if !seen[d.Digest] {
			seen[d.Digest] = true
			out = append(out, d.Digest)
		}
	}
	return out, nil
}

// pushTree writes an index and everything under it to dst, each distinct
// manifest once (one HEAD each, skipped when the destination has it), the
// children before the indexes that list them, and the root last under
// dst's tag. go-containerregistry's own walk is not used for indexes: it
// visits a child once per listing, so a hostile nested index costs the
// product of the listings.
func (c *Client) pushTree(ctx context.Context, dst name.Reference, root v1.Hash, rootRaw []byte, src treeSource, tr *tracker) error {
	tree, err := readTree(ctx, root, rootRaw, src)
	if err != nil {
		return err
	}
	repo := dst.Context()
	levels := tree.levels()
	// The root, alone on the top level, is written last, under the tag.
	for _, level := range levels[:len(levels)-1] {
		// The manifests of one height list none of each other: they go
		// LayerJobs at once (the platforms of an index share few
		// layers), each level after the one its children are in.
		var g errgroup.Group
		g.SetLimit(max(1, c.opts.LayerJobs))
		for _, n := range level {
			g.Go(func() error { return c.pushNode(ctx, repo.Digest(n.digest.String()), n, src, tr) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	top := tree.order[len(tree.order)-1]
	return c.put(ctx, dst, top, tr)
}

// pushNode writes one manifest of a tree by digest, unless the
// destination has it: an index as it is (its children are there), an image
// with its blobs.
func (c *Client) pushNode(ctx context.Context, at name.Digest, n *treeNode, src treeSource, tr *tracker) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.holds(ctx, at, n.digest.String()) {
		return nil
	}
	if n.mediaType.IsIndex() {
		if err := c.put(ctx, at, n, tr); err != nil {
			return fmt.Errorf("writing %s: %w", at, err)
		}
		return nil
	}
	img, err := src.image(ctx, n.digest)
	if err != nil {
		return err
	}
	if err := c.push(ctx, at, img, tr); err != nil {
		return fmt.Errorf("writing %s: %w", at, err)
	}
	return nil
}

// levels are the tree's manifests by height, lowest first, each level in
// the tree's order.
func (t *manifestTree) levels() [][]*treeNode {
	var out [][]*treeNode
	for _, n := range t.order {
		h := t.height[n.digest]
		for len(out) <= h {
			out = append(out, nil)
		}
		out[h] = append(out[h], n)
	}
	return out
}

// layoutTree reads a tree from an archive's layout.
type layoutTree struct{ dir string }

func (l layoutTree) manifest(_ context.Context, h v1.Hash) ([]byte, error) {
	raw, err := readBlob(filepath.Join(l.dir, blobDir, h.Hex), maxManifestBlob)
	if err != nil {
		return nil, permanent{fmt.Errorf("reading manifest %s from the archive: %w", h, err)}
	}
	return raw, nil
}

// image reads a manifest of the layout by digest alone: layout.Path finds
// images only through the index that lists them.
func (l layoutTree) image(ctx context.Context, h v1.Hash) (v1.Image, error) {
	raw, err := l.manifest(ctx, h)
	if err != nil {
		return nil, err
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, permanent{fmt.Errorf("reading manifest %s from the archive: %w", h, err)}
	}
	img, err := partial.CompressedToImage(layoutImage{dir: l.dir, raw: raw, m: &m})
	if err != nil {
		return nil, permanent{fmt.Errorf("reading %s from the archive: %w", h, err)}
	}
	return img, nil
}

// layoutImage is a manifest of the layout with its blobs.
type layoutImage struct {
	dir string
	raw []byte
	m   *v1.Manifest
}

func (l layoutImage) RawManifest() ([]byte, error)        { return l.raw, nil }
func (l layoutImage) MediaType() (types.MediaType, error) { return mediaTypeOf(l.raw), nil }
func (l layoutImage) RawConfigFile() ([]byte, error) {
	return readBlob(filepath.Join(l.dir, blobDir, l.m.Config.Digest.Hex), maxManifestBlob)
}

func (l layoutImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == l.m.Config.Digest {
		return layoutBlob{dir: l.dir, desc: l.m.Config}, nil
	}
	for _, d := range l.m.Layers {
		if d.Digest == h {
			return layoutBlob{dir: l.dir, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("manifest lists no blob %s", h)
}

// layoutBlob is one blob of the layout, streamed from its file.
type layoutBlob struct {
	dir  string
	desc v1.Descriptor
}

func (b layoutBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b layoutBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b layoutBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b layoutBlob) Compressed() (io.ReadCloser, error) {
	return os.Open(filepath.Join(b.dir, blobDir, b.desc.Digest.Hex))
}

// registryTree reads a tree from a source repository, each manifest once.
type registryTree struct {
	c    *Client
	repo name.Repository
	got  map[v1.Hash]*remote.Descriptor
}

func (r *registryTree) get(ctx context.Context, h v1.Hash) (*remote.Descriptor, error) {
	if d, ok := r.got[h]; ok {
		return d, nil
	}
	ref := r.repo.Digest(h.String())
	d, err := r.c.puller.Get(ctx, ref)
	if err != nil {
		return nil, sourceError(ref, err)
	}
	if len(d.Manifest) > maxManifestBlob {
		return nil, permanent{fmt.Errorf("reading %s: a manifest of more than %d bytes", ref, maxManifestBlob)}
	}
	if r.got == nil {
		r.got = map[v1.Hash]*remote.Descriptor{}
	}
	r.got[h] = d
	return d, nil
}

func (r *registryTree) manifest(ctx context.Context, h v1.Hash) ([]byte, error) {
	d, err := r.get(ctx, h)
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}

func (r *registryTree) image(ctx context.Context, h v1.Hash) (v1.Image, error) {
	d, err := r.get(ctx, h)
	if err != nil {
		return nil, err
	}
	return d.Image()
}

// pushManifest writes what src holds at h (raw, already read) to dst: an
// index through pushTree, anything else with its blobs.
func (c *Client) pushManifest(ctx context.Context, dst name.Reference, h v1.Hash, raw []byte, declared types.MediaType, t remote.Taggable, src treeSource, tr *tracker) error {
	if declared.IsIndex() || mediaTypeOf(raw).IsIndex() {
		return c.pushTree(ctx, dst, h, raw, src, tr)
	}
	if t == nil {
		img, err := src.image(ctx, h)
		if err != nil {
			return err
		}
		t = img
	}
	return c.push(ctx, dst, t, tr)
}
