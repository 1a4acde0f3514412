package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/plexicus/helm-airgap/lock"
)

// cosignSuffixes are the tags cosign attaches to "sha256-<hex>": a
// signature, an attestation and an SBOM.
var cosignSuffixes = []string{".sig", ".att", ".sbom"}

// Bounds on what one image may drag along: referrers of referrers are
// followed (a signed SBOM) but not forever.
const (
	maxReferrerDepth = 3
	maxReferrers     = 1000
)

// referrer is one manifest attached to an image: an OCI 1.1 referrer
// (pushed by digest; its subject field links it) or a cosign tag.
type referrer struct {
	desc v1.Descriptor
	tag  string // cosign tag, or "" for an OCI referrer
}

func (r referrer) lock() lock.Referrer {
	return lock.Referrer{Digest: r.desc.Digest.String(), Tag: r.tag}
}

// ref is where the referrer lives in repo.
func (r referrer) ref(repo name.Repository) name.Reference {
	if r.tag != "" {
		return repo.Tag(r.tag)
	}
	return repo.Digest(r.desc.Digest.String())
}

// cosignTag is cosign's tag for what refers to digest d.
func cosignTag(d v1.Hash, suffix string) string { return d.Algorithm + "-" + d.Hex + suffix }

// findReferrers lists everything that refers to the subjects in repo,
// following referrers of referrers: the OCI referrers API (go-containerregistry
// falls back to the "sha256-<hex>" tag index for registries without it) and
// cosign's tags.
func (c *Client) findReferrers(ctx context.Context, repo name.Repository, subjects []v1.Hash) ([]referrer, error) {
	var found []referrer
	seen := map[string]bool{}
	for depth := 0; depth < maxReferrerDepth && len(subjects) > 0; depth++ {
		var next []v1.Hash
		for _, subject := range subjects {
			refs, err := c.referrersOf(ctx, repo, subject)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				key := r.desc.Digest.String() + " " + r.tag
				if seen[key] {
					continue
				}
				seen[key] = true
				found = append(found, r)
				next = append(next, r.desc.Digest)
			}
			if len(found) > maxReferrers {
				return nil, permanent{fmt.Errorf("more than %d referrers of %s in %s", maxReferrers, subjects[0], repo)}
			}
		}
		subjects = next
	}
	return found, nil
}

func (c *Client) referrersOf(ctx context.Context, repo name.Repository, subject v1.Hash) ([]referrer, error) {
	var out []referrer
	manifests, err := c.ociReferrers(ctx, repo, subject)
	if err != nil {
		return nil, fmt.Errorf("listing the referrers of %s@%s: %w", repo, subject, err)
	}
	for _, d := range manifests {
		out = append(out, referrer{desc: v1.Descriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest}})
	}
	for _, suffix := range cosignSuffixes {
		tag := cosignTag(subject, suffix)
		desc, err := c.puller.Head(ctx, repo.Tag(tag))
		switch {
		case isNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("looking for %s:%s: %w", repo, tag, err)
		}
		out = append(out, referrer{desc: v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest}, tag: tag})
	}
	return out, nil
}

// ociReferrers asks the referrers API; a registry without it is asked for
// the "sha256-<hex>" tag index instead, with a HEAD first so that a
// registry counting manifest GETs (Docker Hub's pull limit) sees none when
// there is nothing attached.
func (c *Client) ociReferrers(ctx context.Context, repo name.Repository, subject v1.Hash) ([]v1.Descriptor, error) {
	opts := c.remoteOptions(remote.WithContext(ctx), remote.WithReferrersTagFallback(false))
	idx, err := remote.Referrers(repo.Digest(subject.String()), opts...)
	if err == nil {
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		return im.Manifests, nil
	}
	if !strings.Contains(err.Error(), "does not support the Referrers API") {
		return nil, err
	}
	fallback := repo.Tag(cosignTag(subject, ""))
	if _, err := c.puller.Head(ctx, fallback); isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	desc, err := c.puller.Get(ctx, fallback)
	if err != nil {
		return nil, err
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", fallback, err)
	}
	return im.Manifests, nil
}

// subjects are the digests whose referrers travel with an image: the
// manifest itself, the source's when platforms were filtered out of it, and
// every platform manifest kept.
func subjects(digest, sourceDigest v1.Hash, manifest []byte) []v1.Hash {
	out := []v1.Hash{digest}
	if sourceDigest != (v1.Hash{}) && sourceDigest != digest {
		out = append(out, sourceDigest)
	}
	for _, p := range children(manifest) {
		out = append(out, p.Digest)
	}
	return out
}

// children are the manifests an index lists (nothing for an image).
func children(manifest []byte) []v1.Descriptor {
	var idx struct {
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if json.Unmarshal(manifest, &idx) != nil {
		return nil
	}
	return idx.Manifests
}

// platforms are the platform manifests of an index, for the lock.
func platforms(manifest []byte) []lock.Platform {
	var out []lock.Platform
	for _, d := range children(manifest) {
		p := "unknown"
		if d.Platform != nil {
			p = d.Platform.String()
		}
		out = append(out, lock.Platform{Platform: p, Digest: d.Digest.String()})
	}
	return out
}

// copyReferrers copies what refers to the subjects from the source
// repository to the destination's, skipping what is already there.
func (c *Client) copyReferrers(ctx context.Context, src, dst name.Repository, subj []v1.Hash, tr *tracker, res *Result) error {
	refs, err := c.findReferrers(ctx, src, subj)
	if err != nil {
		return err
	}
	res.Referrers = res.Referrers[:0]
	for _, r := range refs {
		to := r.ref(dst)
		if !c.holds(ctx, to, r.desc.Digest.String()) {
			desc, err := c.puller.Get(ctx, src.Digest(r.desc.Digest.String()))
			if err != nil {
				return sourceError(r.ref(src), err)
			}
			if err := c.pushManifest(ctx, to, desc.Digest, desc.Manifest, desc.MediaType, desc, &registryTree{c: c, repo: src}, tr); err != nil {
				return fmt.Errorf("writing %s: %w", to, err)
			}
			res.ReferrersCopied++
		}
		res.Referrers = append(res.Referrers, r.lock())
	}
	return nil
}

// DescribeReferrers names referrers for messages: by cosign tag, or by
// digest for an OCI referrer.
func DescribeReferrers(rs []lock.Referrer) string {
	var parts []string
	for _, r := range rs {
		if r.Tag != "" {
			parts = append(parts, r.Tag)
		} else {
			parts = append(parts, r.Digest)
		}
	}
	return strings.Join(parts, ", ")
}
