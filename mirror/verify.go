package mirror

import (
	"context"
	"fmt"
)

// Verify checks that every item's destination exists, with one manifest
// HEAD each: by digest when the destination is pinned to one (that is what
// the runtime pulls), by tag otherwise. With strict, an item whose digest is
// known (a digest-pinned source, or an archived image) must be at that exact
// digest under the reference it will be pulled by, its tag included.
func (c *Client) Verify(ctx context.Context, items []Item, strict bool) *Report {
	d := c.newDisplay("verifying", len(items))
	defer d.close()
	return c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := c.verifyOne(ctx, item, strict)
		d.itemDone()
		switch res.Outcome {
		case Missing:
			d.printf("MISSING  %s", item.Destination)
		case Mismatch:
			d.printf("MISMATCH %s is %s, want %s", item.Destination, res.Got, res.Digest)
		case Failed:
			d.printf("FAILED   %v", res.Err)
		}
		return res
	})
}

func (c *Client) verifyOne(ctx context.Context, item Item, strict bool) Result {
	res := Result{Item: item, Digest: item.Digest}
	ref := item.PullDestination()
	if strict && item.Digest != "" {
		ref = item.CopyDestination()
	}
	dst, err := c.ref(ref)
	if err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	err = c.retry(ctx, func() error {
		desc, err := c.puller.Head(ctx, dst)
		if err != nil {
			return err
		}
		res.Got = desc.Digest.String()
		return nil
	})
	switch {
	case isNotFound(err):
		res.Outcome = Missing
	case err != nil:
		res.Outcome, res.Err = Failed, fmt.Errorf("checking %s: %w", ref, err)
	case strict && item.Digest != "" && res.Got != item.Digest:
		res.Outcome = Mismatch
	default:
		res.Outcome = Present
		if res.Digest == "" {
			res.Digest = res.Got
		}
	}
	return res
}
