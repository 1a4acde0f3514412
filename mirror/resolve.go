package mirror

import (
	"context"
	"fmt"
)

// Resolve asks the source registries what each item would be mirrored as,
// copying nothing: the digest (of the index filtered to Platforms, when
// set), the platforms and the referrers. Results are Planned, or Failed.
// It is what a lock is written from before mirroring (helm-airgap-registry
// resolve).
func (c *Client) Resolve(ctx context.Context, items []Item) *Report {
	d := c.newDisplay("resolving", len(items))
	defer d.close()
	return c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := Result{Item: item}
		err := c.retry(ctx, func() error { return c.resolveOne(ctx, item, &res) })
		if err != nil {
			res.Outcome, res.Err = Failed, fmt.Errorf("resolving %s: %w", item.Source, err)
			d.printf("FAILED   %v", res.Err)
		} else {
			d.printf("resolved %s (%s)%s", item.Source, res.Digest, referrerNote(res))
		}
		d.itemDone()
		return res
	})
}

func (c *Client) resolveOne(ctx context.Context, item Item, res *Result) error {
	if item.Artifact != nil {
		s, err := artifactSource(item)
		if err != nil {
			return permanent{err}
		}
		res.Outcome, res.Digest = Planned, s.digest.String()
		return nil
	}
	src, err := c.ref(item.CopySource())
	if err != nil {
		return permanent{err}
	}
	s := &source{}
	if err := c.fetchSource(ctx, item, src, s); err != nil {
		return err
	}
	res.Outcome, res.Digest = Planned, s.digest.String()
	s.record(res)
	if c.opts.NoReferrers {
		return nil
	}
	refs, err := c.findReferrers(ctx, src.Context(), subjects(s.digest, s.sourceDigest, s.manifest))
	if err != nil {
		return err
	}
	res.Referrers = res.Referrers[:0]
	for _, r := range refs {
		res.Referrers = append(res.Referrers, r.lock())
	}
	return nil
}
