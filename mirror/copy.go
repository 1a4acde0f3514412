package mirror

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Copy copies every item from its source to its destination, registry to
// registry. It never stops at the first failure: every item gets a result.
func (c *Client) Copy(ctx context.Context, items []Item) *Report {
	d := c.newDisplay("mirroring", len(items))
	defer d.close()
	return c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := c.copyOne(ctx, item, d)
		d.itemDone()
		logResult(d, res)
		return res
	})
}

func (c *Client) copyOne(ctx context.Context, item Item, d *display) Result {
	res := Result{Item: item}
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

// copyRef is one attempt: learn the source digest (pinned, or one HEAD),
// skip when the destination already holds it, else copy the manifest
// (index, image or any other artifact) with everything it references.
func (c *Client) copyRef(ctx context.Context, item Item, src, dst name.Reference, d *display, res *Result) error {
	want := item.Digest
	if want == "" {
		h, err := c.resolve(ctx, src)
		if err != nil {
			return sourceError(src, err)
		}
		want = h.String()
	}
	res.Digest = want
	if c.holds(ctx, dst, want) {
		res.Outcome = Present
		return nil
	}
	desc, err := c.puller.Get(ctx, src)
	if err != nil {
		return sourceError(src, err)
	}
	if err := checkPinned(item, desc.Digest); err != nil {
		return err
	}
	res.Digest = desc.Digest.String()
	t := d.track(item.Destination)
	err = c.push(ctx, dst, desc, t)
	t.done(err == nil)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	res.Outcome = Copied
	return nil
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

// logResult prints the one line each item gets.
func logResult(d *display, res Result) {
	switch res.Outcome {
	case Copied:
		d.printf("copied   %s -> %s (%s)", res.Item.Source, res.Item.Destination, res.Digest)
	case Present:
		d.printf("present  %s (%s)", res.Item.Destination, res.Digest)
	case Failed:
		d.printf("FAILED   %v", res.Err)
	}
}
