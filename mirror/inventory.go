package mirror

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/sigstore/sigstore/pkg/signature"
)

// An inventory is what the internal registry already holds for a plan's
// destinations: per repository, the manifest and blob digests under the
// images it has. The inside writes it (helm-airgap inventory); the outside
// reads it (mirror --to-archive --have) to leave out of the archive every
// blob the inside has, so an update carries only what is new.
const (
	InventoryKind    = "HelmAirgapInventory"
	inventoryVersion = 1
	maxInventory     = 256 << 20
)

// Inventory is an inventory file: repositories sorted by name, digests
// sorted, so the same registry gives the same bytes.
type Inventory struct {
	Kind         string          `json:"kind"`
	Version      int             `json:"version"`
	Repositories []RepoInventory `json:"repositories"`

	index     map[string]map[string]bool // repository -> digest (manifest or blob) -> true
	indexOnce sync.Once                  // Has runs on every copy's goroutine
}

// RepoInventory is what one repository holds.
type RepoInventory struct {
	Repository string   `json:"repository"`
	Manifests  []string `json:"manifests"`
	Blobs      []string `json:"blobs"`
}

// Has reports whether the inventory says repo holds the digest.
func (inv *Inventory) Has(repo, digest string) bool {
	if inv == nil {
		return false
	}
	inv.indexOnce.Do(func() {
		inv.index = map[string]map[string]bool{}
		for _, r := range inv.Repositories {
			m := map[string]bool{}
			for _, d := range append(append([]string(nil), r.Manifests...), r.Blobs...) {
				m[d] = true
			}
			inv.index[r.Repository] = m
		}
	})
	return inv.index[repo][digest]
}

// ReadInventory reads and checks an inventory file.
func ReadInventory(r io.Reader) (*Inventory, error) {
	data, err := readLimited(r, maxInventory)
	if err != nil {
		return nil, fmt.Errorf("reading the inventory: %w", err)
	}
	return parseInventory(data)
}

// ReadSignedInventory reads an inventory file that must be signed by v's
// key, as cosign signs a file (cosign sign-blob --key cosign.key
// --output-signature FILE.sig FILE: sig is the base64 signature of the
// file's bytes), the key verify --key takes. The bytes are checked before
// they are parsed.
func ReadSignedInventory(r io.Reader, sig []byte, v signature.Verifier) (*Inventory, error) {
	data, err := readLimited(r, maxInventory)
	if err != nil {
		return nil, fmt.Errorf("reading the inventory: %w", err)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig)))
	if err != nil {
		return nil, fmt.Errorf("reading the inventory's signature: not base64 (cosign sign-blob's output): %w", err)
	}
	if err := v.VerifySignature(bytes.NewReader(raw), bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("the inventory is not signed by the key: %w", err)
	}
	return parseInventory(data)
}

func parseInventory(data []byte) (*Inventory, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("reading the inventory: %w", err)
	}
	if inv.Kind != InventoryKind || inv.Version != inventoryVersion {
		return nil, fmt.Errorf("reading the inventory: kind %q version %d, want %s version %d (written by helm-airgap inventory)", inv.Kind, inv.Version, InventoryKind, inventoryVersion)
	}
	for _, r := range inv.Repositories {
		if _, err := name.NewRepository(r.Repository); err != nil {
			return nil, fmt.Errorf("reading the inventory: repository %q: %w", r.Repository, err)
		}
		for _, d := range append(append([]string(nil), r.Manifests...), r.Blobs...) {
			if _, err := v1.NewHash(d); err != nil {
				return nil, fmt.Errorf("reading the inventory: %s: digest %q: %w", r.Repository, d, err)
			}
		}
	}
	return &inv, nil
}

// Marshal returns the inventory's bytes, sorted.
func (inv *Inventory) Marshal() ([]byte, error) {
	out := Inventory{Kind: InventoryKind, Version: inventoryVersion, Repositories: append([]RepoInventory(nil), inv.Repositories...)}
	if out.Repositories == nil {
		out.Repositories = []RepoInventory{}
	}
	sort.Slice(out.Repositories, func(i, j int) bool { return out.Repositories[i].Repository < out.Repositories[j].Repository })
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// Inventory asks the destination repositories of items what they hold:
// every tag of each (and the destinations pinned by digest), every
// manifest under them (an index's children included, each distinct one
// read once) and every config and layer they use. Each repository gets
// one result: Present, Missing (it has nothing), or Failed. Referrers are
// listed as the manifests under their tags (cosign's); their blobs are
// small and travel in every archive anyway.
func (c *Client) Inventory(ctx context.Context, items []Item) (*Inventory, *Report) {
	var repoItems []Item
	roots := map[string][]string{} // repository -> references to read besides its tags
	for _, it := range items {
		ref, err := c.ref(it.CopyDestination())
		if err != nil {
			repoItems = append(repoItems, Item{Image: plan.Image{Source: it.Source, Destination: it.Destination}})
			continue
		}
		repo := ref.Context().Name()
		if _, ok := roots[repo]; !ok {
			repoItems = append(repoItems, Item{Image: plan.Image{Source: repo, Destination: repo}})
		}
		roots[repo] = append(roots[repo], []string{}...)
		if _, byDigest := ref.(name.Digest); byDigest {
			roots[repo] = append(roots[repo], ref.String())
		}
	}
	var mu sync.Mutex
	inv := &Inventory{Kind: InventoryKind, Version: inventoryVersion}
	d := c.newDisplay("inventory", len(repoItems))
	defer d.close()
	report := c.each(ctx, repoItems, func(ctx context.Context, item Item) Result {
		res := Result{Item: item}
		found, err := c.inventoryRepo(ctx, item.Destination, roots[item.Destination])
		d.itemDone()
		switch {
		case err != nil:
			res.Outcome, res.Err = Failed, fmt.Errorf("listing %s: %w", item.Destination, err)
		case len(found.manifests) == 0:
			res.Outcome = Missing
		default:
			res.Outcome = Present
			mu.Lock()
			inv.Repositories = append(inv.Repositories, found.sorted())
			mu.Unlock()
		}
		return res
	})
	return inv, report
}

// repoSet is what one destination repository was found to hold.
type repoSet struct {
	repo             string
	manifests, blobs map[string]bool
}

func (s *repoSet) sorted() RepoInventory {
	keys := func(m map[string]bool) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	return RepoInventory{Repository: s.repo, Manifests: keys(s.manifests), Blobs: keys(s.blobs)}
}

// inventoryRepo lists what one repository holds: under every tag and
// every extra reference given.
func (c *Client) inventoryRepo(ctx context.Context, repoName string, extra []string) (*repoSet, error) {
	repo, err := name.NewRepository(repoName, c.nameOpts...)
	if err != nil {
		return nil, err
	}
	var tags []string
	err = c.retry(ctx, func() error {
		var err error
		tags, err = c.puller.List(ctx, repo)
		return err
	})
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	s := &repoSet{repo: repoName, manifests: map[string]bool{}, blobs: map[string]bool{}}
	src := &registryTree{c: c, repo: repo}
	refs := append([]string(nil), extra...)
	for _, t := range tags {
		refs = append(refs, repo.Tag(t).String())
	}
	for _, r := range refs {
		if err := c.inventoryRef(ctx, r, src, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// inventoryRef adds what one reference holds to s; nothing when absent.
func (c *Client) inventoryRef(ctx context.Context, r string, src *registryTree, s *repoSet) error {
	ref, err := c.ref(r)
	if err != nil {
		return err
	}
	var desc *v1.Descriptor
	err = c.retry(ctx, func() error {
		d, err := c.puller.Head(ctx, ref)
		if isNotFound(err) {
			return nil
		}
		desc = d
		return err
	})
	if err != nil || desc == nil || s.manifests[desc.Digest.String()] {
		return err
	}
	tree, err := readTree(ctx, desc.Digest, nil, src)
	if err != nil {
		return err
	}
	for _, n := range tree.order {
		s.manifests[n.digest.String()] = true
		refs, err := references(n.mediaType, n.raw)
		if err != nil {
			return err
		}
		for _, r := range refs {
			if !isManifest(r) {
				s.blobs[r.Digest.String()] = true
			}
		}
	}
	return nil
}

// destinationRepo is the repository name an item's destination is
// pushed to, as an inventory names it.
func destinationRepo(dest string, opts ...name.Option) string {
	ref, err := name.ParseReference(dest, opts...)
	if err != nil {
		return ""
	}
	return ref.Context().Name()
}
