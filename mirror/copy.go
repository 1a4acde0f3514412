package mirror

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Copy copies every item from its source to its destination, registry to
// registry, with its referrers. It never stops at the first failure: every
// item gets a result.
func (c *Client) Copy(ctx context.Context, items []Item) *Report {
	d := c.newDisplay("mirroring", len(items))
	defer d.close()
	report := c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := c.copyOne(ctx, item, d)
		logResult(d, res, "copied   "+res.Item.Source+" -> "+res.Item.Destination, res.Item.Destination)
		return res
	})
	report.Blobs = d.transfer()
	return report
}

func (c *Client) copyOne(ctx context.Context, item Item, d *display) Result {
	res := Result{Item: item}
	if item.Artifact != nil {
		return c.copyArtifact(ctx, item, d)
	}
	src, err := c.ref(item.CopySource())
	if err == nil {
		var dst name.Reference
		if dst, err = c.ref(item.CopyDestination()); err == nil {
			err = c.retry(ctx, func() error { return c.copyRef(ctx, item, src, dst, d, &res) })
		}
	}
	if err != nil {
		res.Outcome, res.Err = Failed, fmt.Errorf("copying %s to %s: %w", item.Source, item.Destination, err)
	}
	return res
}

// copyArtifact writes an item built here (a chart packaged from a local
// directory or .tgz), unless the destination already holds it.
func (c *Client) copyArtifact(ctx context.Context, item Item, d *display) Result {
	res := Result{Item: item}
	s, err := artifactSource(item)
	var dst name.Reference
	if err == nil {
		dst, err = c.ref(item.CopyDestination())
	}
	if err == nil {
		res.Digest = s.digest.String()
		err = c.retry(ctx, func() error {
			if c.holds(ctx, dst, res.Digest) {
				res.Outcome = Present
				return nil
			}
			t := d.track(item.Destination)
			err := c.push(ctx, dst, s.taggable, t)
			t.done(err == nil)
			res.Outcome = Copied
			return err
		})
	}
	if err != nil {
		res.Outcome, res.Err = Failed, fmt.Errorf("copying %s to %s: %w", item.Source, item.Destination, err)
	}
	return res
}

// artifactSource is the source of an item built here.
func artifactSource(item Item) (*source, error) {
	raw, err := item.Artifact.RawManifest()
	if err != nil {
		return nil, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	return &source{digest: h, taggable: item.Artifact, manifest: raw}, nil
}

// source is what an item's destination must hold once its source is known.
type source struct {
	digest       v1.Hash         // what the destination holds
	sourceDigest v1.Hash         // the source's digest, when platforms were filtered out
	taggable     remote.Taggable // the content to write; nil until fetched
	manifest     []byte          // its raw manifest; nil until fetched
}

// resolveSource learns the digest the destination must hold: the pinned
// digest, or one HEAD. With platforms to keep (and an unpinned source) the
// source manifest is fetched and, when an index, filtered.
func (c *Client) resolveSource(ctx context.Context, item Item, src name.Reference) (*source, error) {
	if len(c.opts.Platforms) == 0 || item.Digest != "" {
		if item.Digest != "" {
			h, err := v1.NewHash(item.Digest)
			if err != nil {
				return nil, permanent{fmt.Errorf("%s: %w", item.Source, err)}
			}
			return &source{digest: h}, nil
		}
		h, err := c.resolve(ctx, src)
		if err != nil {
			return nil, sourceError(src, err)
		}
		return &source{digest: h}, nil
	}
	s := &source{}
	return s, c.fetchSource(ctx, item, src, s)
}

// fetchSource fills in the content to write: the source manifest, its
// index filtered to the asked platforms when there are some.
func (c *Client) fetchSource(ctx context.Context, item Item, src name.Reference, s *source) error {
	desc, err := c.puller.Get(ctx, src)
	if err != nil {
		return sourceError(src, err)
	}
	if err := checkPinned(item, desc.Digest); err != nil {
		return err
	}
	s.digest, s.taggable, s.manifest = desc.Digest, desc, desc.Manifest
	if len(c.opts.Platforms) == 0 || item.Digest != "" || !desc.MediaType.IsIndex() {
		return nil
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return err
	}
	filtered, err := filterIndex(idx, c.opts.Platforms)
	if err != nil {
		return fmt.Errorf("%s: %w", item.Source, err)
	}
	if filtered != idx {
		filtered = withSourceIndex(filtered, desc.Manifest)
	}
	if s.manifest, err = filtered.RawManifest(); err != nil {
		return err
	}
	if s.digest, err = filtered.Digest(); err != nil {
		return err
	}
	if s.digest != desc.Digest {
		s.sourceDigest = desc.Digest
	}
	s.taggable = filtered
	return nil
}

// copyRef is one attempt: learn the digest to hold, skip the copy when the
// destination already holds it, else copy the manifest (index, image or
// any other artifact) with everything it references; then the referrers.
func (c *Client) copyRef(ctx context.Context, item Item, src, dst name.Reference, d *display, res *Result) error {
	s, err := c.resolveSource(ctx, item, src)
	if err != nil {
		return err
	}
	res.Digest = s.digest.String()
	if c.holds(ctx, dst, res.Digest) {
		res.Outcome = Present
		if s.manifest == nil {
			// Read it from the destination, not the (rate-limited) source.
			desc, err := c.puller.Get(ctx, dst.Context().Digest(res.Digest))
			if err != nil {
				return fmt.Errorf("reading %s: %w", dst, err)
			}
			s.manifest = desc.Manifest
		}
		d.xfer.countPresent(ctx, dst.Context(), s.digest, s.manifest, &registryTree{c: c, repo: dst.Context()})
	} else {
		if s.taggable == nil {
			if err := c.fetchSource(ctx, item, src, s); err != nil {
				return err
			}
		}
		res.Digest = s.digest.String()
		t := d.track(item.Destination)
		err = c.pushManifest(ctx, dst, s.digest, s.manifest, "", s.taggable, &registryTree{c: c, repo: src.Context()}, t)
		t.done(err == nil)
		if err != nil {
			return fmt.Errorf("writing %s: %w", dst, err)
		}
		res.Outcome = Copied
	}
	s.record(res)
	if c.opts.NoReferrers {
		return nil
	}
	return c.copyReferrers(ctx, src.Context(), dst.Context(), subjects(s.digest, s.sourceDigest, s.manifest), d.quiet(), res)
}

// record notes the source digest and platforms kept for the lock.
func (s *source) record(res *Result) {
	if s.sourceDigest != (v1.Hash{}) {
		res.SourceDigest = s.sourceDigest.String()
	}
	res.Platforms = platforms(s.manifest)
}

// checkPinned refuses content whose digest is not the one pinned: a
// registry that serves something else for a digest is not to be trusted.
func checkPinned(item Item, got v1.Hash) error {
	if item.Digest != "" && got.String() != item.Digest {
		return permanent{fmt.Errorf("%s is pinned to %s but the registry served %s", item.Source, item.Digest, got)}
	}
	return nil
}

// sourceError names the source; a missing source is final.
func sourceError(src name.Reference, err error) error {
	if isNotFound(err) {
		return permanent{fmt.Errorf("reading %s: the image does not exist: %w", src, err)}
	}
	return fmt.Errorf("reading %s: %w", src, err)
}

// logResult prints the one line each item gets: done (what was done to
// it, "copied   SRC -> DEST", "archived SRC", "pushed   DEST") when it was
// copied, that ref (the side that already held it) was present, or the
// failure; then it advances the overall bar. In that order: the last item
// completes the bar, and the bars draw their last frame and stop, so a line
// printed after it is lost.
func logResult(d *display, res Result, done, ref string) {
	defer d.itemDone()
	switch res.Outcome {
	case Copied:
		d.printf("%s (%s)%s", done, res.Digest, referrerNote(res))
	case Present:
		d.printf("present  %s (%s)%s", ref, res.Digest, referrerNote(res))
	case Failed:
		d.printf("FAILED   %v", res.Err)
	}
}

func referrerNote(res Result) string {
	if len(res.Referrers) == 0 {
		return ""
	}
	return fmt.Sprintf(" with %d referrer(s), %d copied", len(res.Referrers), res.ReferrersCopied)
}
