package mirror

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// cosign's signature format: each layer of the "sha256-<hex>.sig" image is
// a simple-signing payload naming the signed digest, with the signature of
// that payload, base64-encoded, in an annotation.
const (
	cosignSignatureAnnotation = "dev.cosignproject.cosign/signature"
	cosignPayloadType         = "cosign container image signature"
	maxPayload                = 1 << 20
)

// Unsigned: verify --key found no signature by the key for the digest.
const Unsigned Outcome = "unsigned"

// LoadPublicKey reads a cosign public key (PEM: ECDSA, RSA or Ed25519).
func LoadPublicKey(pemBytes []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("reading the public key: %w", err)
	}
	return v, nil
}

// simpleSigning is the part of cosign's payload that is checked.
type simpleSigning struct {
	Critical struct {
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
}

// VerifySignatures checks, offline, that each item's destination has a
// cosign signature by the key for the digest it holds (or, when platforms
// were filtered, for the source index it was filtered from: SourceDigest).
// No transparency log or certificate authority is consulted: this proves
// the key's holder signed these bytes, not when, nor that the key is still
// trusted.
func (c *Client) VerifySignatures(ctx context.Context, items []Item, v signature.Verifier) *Report {
	d := c.newDisplay("checking signatures", len(items))
	defer d.close()
	return c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := c.verifySignature(ctx, item, v)
		if res.Outcome != Present {
			d.printf("UNSIGNED %s: %v", item.Destination, res.Err)
		}
		d.itemDone() // after the line (logResult says why)
		return res
	})
}

func (c *Client) verifySignature(ctx context.Context, item Item, v signature.Verifier) Result {
	res := Result{Item: item}
	dst, err := c.ref(item.PullDestination())
	if err != nil {
		res.Outcome, res.Err = Failed, err
		return res
	}
	var digest v1.Hash
	err = c.retry(ctx, func() error {
		var err error
		digest, err = c.resolve(ctx, dst)
		return err
	})
	if err != nil {
		res.Outcome, res.Err = Failed, fmt.Errorf("checking %s: %w", dst, err)
		return res
	}
	res.Digest = digest.String()
	candidates := []v1.Hash{digest}
	var reasons []string
	if sd, err := v1.NewHash(item.SourceDigest); err == nil && sd != digest {
		// The source's signature counts only for a proven filtered copy.
		if err := c.checkFilteredCopy(ctx, item, dst.Context(), digest, sd); err != nil {
			reasons = append(reasons, err.Error())
		} else {
			candidates = append(candidates, sd)
		}
	}
	for _, h := range candidates {
		err := c.checkCosignSignature(ctx, dst.Context(), h, v)
		if err == nil {
			res.Outcome = Present
			return res
		}
		reasons = append(reasons, err.Error())
	}
	res.Outcome, res.Err = Unsigned, errors.New(joinReasons(reasons))
	return res
}

func joinReasons(rs []string) string {
	out := rs[0]
	for _, r := range rs[1:] {
		out += "; " + r
	}
	return out
}

// checkCosignSignature looks for one layer of repo:sha256-<hex>.sig whose
// payload names digest and whose signature the key verifies.
func (c *Client) checkCosignSignature(ctx context.Context, repo name.Repository, digest v1.Hash, v signature.Verifier) error {
	tag := repo.Tag(cosignTag(digest, ".sig"))
	desc, err := c.puller.Get(ctx, tag)
	if isNotFound(err) {
		return fmt.Errorf("no cosign signature for %s (%s)", digest, tag)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", tag, err)
	}
	img, err := desc.Image()
	if err != nil {
		return fmt.Errorf("reading %s: %w", tag, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return fmt.Errorf("reading %s: %w", tag, err)
	}
	problem := fmt.Errorf("%s holds no signature by this key for %s", tag, digest)
	for _, l := range m.Layers {
		sig, err := base64.StdEncoding.DecodeString(l.Annotations[cosignSignatureAnnotation])
		if err != nil || len(sig) == 0 || l.Size > maxPayload {
			continue
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return err
		}
		payload, err := readLayer(layer)
		if err != nil {
			return fmt.Errorf("reading %s: %w", tag, err)
		}
		if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil {
			continue
		}
		var p simpleSigning
		if err := json.Unmarshal(payload, &p); err != nil || p.Critical.Type != cosignPayloadType {
			problem = fmt.Errorf("%s: a signed payload that is not a cosign image signature", tag)
			continue
		}
		if p.Critical.Image.DockerManifestDigest != digest.String() {
			problem = fmt.Errorf("%s: the key signed %s, not %s", tag, p.Critical.Image.DockerManifestDigest, digest)
			continue
		}
		return nil
	}
	return problem
}

func readLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return readLimited(rc, maxPayload)
}
