package mirror

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/lock"
)

// Verify checks that every item's destination exists, with one manifest
// HEAD each: by digest when the destination is pinned to one (that is what
// the runtime pulls), by tag otherwise. With strict, an item whose digest is
// known (a digest-pinned source, an archived image, a locked one) must be at
// that exact digest under the reference it will be pulled by, its tag
// included, and every referrer (signature, attestation, SBOM) the archive or
// lock records, or else the source has, must be at the destination too.
func (c *Client) Verify(ctx context.Context, items []Item, strict bool) *Report {
	d := c.newDisplay("verifying", len(items))
	defer d.close()
	return c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := c.verifyOne(ctx, item, strict)
		defer d.itemDone() // after the line (logResult says why)
		switch res.Outcome {
		case Missing:
			d.printf("MISSING  %s", item.Destination)
		case Mismatch:
			d.printf("MISMATCH %s is %s, want %s", item.Destination, res.Got, res.Digest)
		case Unattached:
			d.printf("MISSING  referrers of %s: %s", item.Destination, DescribeReferrers(res.Referrers))
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
		if strict && !c.opts.NoReferrers {
			c.checkReferrers(ctx, item, dst, &res)
		}
	}
	return res
}

// checkReferrers marks the result Unattached, listing what is missing,
// when the destination lacks a referrer the item should have: the ones the
// archive or lock records, or else the source's. A source that cannot be
// asked (inside the gap) leaves a note, not a failure.
func (c *Client) checkReferrers(ctx context.Context, item Item, dst name.Reference, res *Result) {
	want := item.Referrers
	if !item.ReferrersKnown {
		var err error
		if want, err = c.sourceReferrers(ctx, item, dst, res.Got); err != nil {
			res.Note = fmt.Sprintf("referrers of %s not compared with the source: %v", item.Destination, err)
			return
		}
	}
	var missing []lock.Referrer
	for _, r := range want {
		h, err := v1.NewHash(r.Digest)
		if err != nil {
			continue
		}
		ref := referrer{desc: v1.Descriptor{Digest: h}, tag: r.Tag}.ref(dst.Context())
		var ok bool
		_ = c.retry(ctx, func() error {
			desc, err := c.puller.Head(ctx, ref)
			if err != nil && !isNotFound(err) {
				return err
			}
			ok = err == nil && desc.Digest == h
			return nil
		})
		if !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		res.Outcome, res.Referrers = Unattached, missing
	}
}

// sourceReferrers lists what refers to the source's manifest and to the
// platform manifests the destination holds.
func (c *Client) sourceReferrers(ctx context.Context, item Item, dst name.Reference, got string) ([]lock.Referrer, error) {
	src, err := c.ref(item.CopySource())
	if err != nil {
		return nil, err
	}
	srcDigest, err := c.resolve(ctx, src)
	if err != nil {
		return nil, err
	}
	desc, err := c.puller.Get(ctx, dst.Context().Digest(got))
	if err != nil {
		return nil, err
	}
	refs, err := c.findReferrers(ctx, src.Context(), subjects(srcDigest, v1.Hash{}, desc.Manifest))
	if err != nil {
		return nil, err
	}
	var out []lock.Referrer
	for _, r := range refs {
		out = append(out, r.lock())
	}
	return out, nil
}
