package mirror

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// AnnotationSourceIndex, on an index --platform filtered, holds the source
// index's bytes (base64): with them verify --key proves, offline, that the
// filtered index only keeps manifests of the index the key signed.
const AnnotationSourceIndex = "com.plexicus.helm-airgap.source-index"

// withSourceIndex annotates a filtered index with its source's bytes.
func withSourceIndex(filtered v1.ImageIndex, source []byte) v1.ImageIndex {
	return mutate.Annotations(filtered, map[string]string{AnnotationSourceIndex: base64.StdEncoding.EncodeToString(source)}).(v1.ImageIndex)
}

// checkFilteredCopy proves that the manifest m the destination holds is a
// platform-filtered copy of the signed source index s, so that s's
// signature may stand for m: without this, a lock (or archive) pairing any
// manifest with a signed digest would pass verify --key. s's bytes come
// from m's own annotation, else the destination, else the source.
func (c *Client) checkFilteredCopy(ctx context.Context, item Item, dst name.Repository, m, s v1.Hash) error {
	desc, err := c.puller.Get(ctx, dst.Digest(m.String()))
	if err != nil {
		return fmt.Errorf("reading %s@%s: %w", dst, m, err)
	}
	source, err := c.sourceIndexBytes(ctx, item, dst, desc.Manifest, s)
	if err != nil {
		return fmt.Errorf("%s is not shown to be a platform-filtered copy of the signed %s: %w", m, s, err)
	}
	if err := filteredFrom(m, desc.Manifest, source); err != nil {
		return fmt.Errorf("%s is not a platform-filtered copy of the signed %s: %w", m, s, err)
	}
	return nil
}

// sourceIndexBytes finds the bytes whose digest is s.
func (c *Client) sourceIndexBytes(ctx context.Context, item Item, dst name.Repository, filtered []byte, s v1.Hash) ([]byte, error) {
	var idx struct {
		Annotations map[string]string `json:"annotations"`
	}
	if json.Unmarshal(filtered, &idx) == nil {
		if raw, err := base64.StdEncoding.DecodeString(idx.Annotations[AnnotationSourceIndex]); err == nil && len(raw) > 0 {
			if h, _, err := v1.SHA256(bytes.NewReader(raw)); err == nil && h == s {
				return raw, nil
			}
		}
	}
	if desc, err := c.puller.Get(ctx, dst.Digest(s.String())); err == nil {
		return desc.Manifest, nil
	}
	src, err := c.ref(item.CopySource())
	if err != nil {
		return nil, err
	}
	desc, err := c.puller.Get(ctx, src.Context().Digest(s.String()))
	if err != nil {
		return nil, fmt.Errorf("its bytes are neither recorded in it nor at the destination nor readable from the source: %w", err)
	}
	return desc.Manifest, nil
}

// filteredFrom checks m (digest and bytes) against the source index's
// bytes: m is one of its child manifests, or an index whose every child is
// one of its children with the same digest, media type and platform.
func filteredFrom(m v1.Hash, manifest, source []byte) error {
	var s v1.IndexManifest
	if err := json.Unmarshal(source, &s); err != nil || !mediaTypeOf(source).IsIndex() {
		return fmt.Errorf("the signed manifest is not an index")
	}
	byDigest := map[v1.Hash]v1.Descriptor{}
	for _, d := range s.Manifests {
		byDigest[d.Digest] = d
	}
	if !mediaTypeOf(manifest).IsIndex() {
		if _, ok := byDigest[m]; !ok {
			return fmt.Errorf("it is not one of the signed index's manifests")
		}
		return nil
	}
	kept := children(manifest)
	if len(kept) == 0 {
		return fmt.Errorf("it lists no manifest")
	}
	for _, d := range kept {
		want, ok := byDigest[d.Digest]
		if !ok {
			return fmt.Errorf("it lists %s, which the signed index does not", d.Digest)
		}
		if d.MediaType != want.MediaType || platformString(d.Platform) != platformString(want.Platform) {
			return fmt.Errorf("it lists %s as %s %s, the signed index as %s %s", d.Digest, d.MediaType, platformString(d.Platform), want.MediaType, platformString(want.Platform))
		}
	}
	return nil
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return "(no platform)"
	}
	return p.String()
}
