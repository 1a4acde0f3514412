package plan

import (
	"errors"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// APIVersion and Kind identify the JSON form, so it can evolve.
const (
	APIVersion = "helm-airgap/v1"
	Kind       = "MirrorPlan"
)

// Status says what mirroring does with an image.
type Status string

const (
	// Copy images are copied from Source to Destination.
	Copy Status = "copy"
	// Internal images are already on the mirror, a rule destination or an
	// allowed registry: Source and Destination are the same and nothing is
	// copied, but verify still checks that they exist.
	Internal Status = "internal"
	// Runtime entries are prefixes or repositories that a program joins with
	// image names or tags at run time (Istio's hub, trivy.repository next
	// to trivy.tag). Their destination is rewritten in the manifests, but the
	// images under them cannot be named here: mirror them by name.
	Runtime Status = "runtime"
)

// Plan is every image a manifest stream uses.
type Plan struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Images     []Image `json:"images"`

	flux *FluxPostRenderer // set by BuildFor for the Flux format
}

// Image is one source image and where it must land.
type Image struct {
	// Source is the normalized reference (registry/path[:tag][@digest]);
	// tag and digest are kept as written.
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Status      Status `json:"status"`
	// Rule is the rule's from, "mirror" for the catch-all, or empty.
	Rule string `json:"rule,omitempty"`
	// Part says what a runtime entry is: "repository", "prefix" or
	// "registry+repository".
	Part string `json:"part,omitempty"`
	// Cluster says how a live cluster runs the image (images
	// --from-cluster): "rendered" (the release made it), "runtime"
	// (something created it at run time) or "node" (static pods,
	// kube-system).
	Cluster string   `json:"cluster,omitempty"`
	Origins []Origin `json:"origins,omitempty"`
}

// Origin is one place an image was found.
type Origin struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Container string `json:"container,omitempty"`
	Field     string `json:"field"`
	Document  int    `json:"document"`
	Line      int    `json:"line"`
}

// String reads "Kind namespace/name: container NAME (field)", the shape of
// the rewrite report's offender lines.
func (o Origin) String() string {
	return yamlnode.Resource{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}.String() + ": " + yamlnode.Where(o.Container, o.Field)
}

// Copies are the images to copy, in plan order.
func (p *Plan) Copies() []Image { return p.filter(Copy) }

// InternalImages are the images already on the internal registry.
func (p *Plan) InternalImages() []Image { return p.filter(Internal) }

func (p *Plan) filter(s Status) []Image {
	var out []Image
	for _, img := range p.Images {
		if img.Status == s {
			out = append(out, img)
		}
	}
	return out
}

// Digest is the digest the source is pinned to, or "".
func (i Image) Digest() string { return parts(i.Source).digest }

// CopySource is the reference to pull: the source by digest when it is
// pinned to one (a "tag@digest" source is copied by its digest, never by a
// tag that may have moved), as written otherwise.
func (i Image) CopySource() string {
	p := parts(i.Source)
	if p.digest != "" {
		return p.repo + "@" + p.digest
	}
	return i.Source
}

// CopyDestination is the reference to push to: the destination tag when
// there is one (the pushed manifest keeps its digest, so "tag@digest"
// resolves both ways), its digest when it has only a digest.
func (i Image) CopyDestination() string {
	p := parts(i.Destination)
	if p.tag != "" {
		return p.repo + ":" + p.tag
	}
	if p.digest != "" {
		return p.repo + "@" + p.digest
	}
	return i.Destination
}

// PullDestination is the destination as a container runtime pulls it: by
// digest when it has one (a tag beside it is then ignored), as written
// otherwise.
func (i Image) PullDestination() string {
	p := parts(i.Destination)
	if p.digest != "" {
		return p.repo + "@" + p.digest
	}
	return i.Destination
}

// refParts is a reference split into repository, tag and digest.
type refParts struct{ repo, tag, digest string }

func parts(s string) refParts {
	ref, err := reference.Parse(s)
	if err != nil {
		return refParts{repo: s}
	}
	p := refParts{repo: ref.Repository()}
	suffix := ref.Suffix
	if at := strings.IndexByte(suffix, '@'); at >= 0 {
		p.digest, suffix = suffix[at+1:], suffix[:at]
	}
	p.tag = strings.TrimPrefix(suffix, ":")
	return p
}

// Builder collects occurrences into a plan. Add is safe for concurrent use.
type Builder struct {
	// Origins keeps every place each image was found.
	Origins bool

	mu     sync.Mutex
	images map[string]*Image
	seen   map[string]bool // image + origin, so an origin is listed once
}

// Add records one occurrence; use it as a rewrite.Observer's Image.
func (b *Builder) Add(o rewrite.Occurrence) {
	m := o.Mapping
	source := m.Source.Repository() + m.Source.Suffix
	img := Image{Source: source, Destination: m.Dest, Status: Copy, Rule: m.Rule}
	switch {
	case m.Status == mapper.Internal:
		img.Destination, img.Status, img.Rule = source, Internal, ""
	case o.Part != "":
		img.Status, img.Part = Runtime, o.Part
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.images == nil {
		b.images, b.seen = map[string]*Image{}, map[string]bool{}
	}
	have, ok := b.images[source]
	if !ok {
		have = &img
		b.images[source] = have
	}
	if !b.Origins {
		return
	}
	origin := Origin{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Container: o.Container, Field: o.Field, Document: o.Document, Line: o.Line}
	key := source + "\x00" + origin.String()
	if !b.seen[key] {
		b.seen[key] = true
		have.Origins = append(have.Origins, origin)
	}
}

// Plan returns the images collected so far, sorted.
func (b *Builder) Plan() *Plan {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := &Plan{APIVersion: APIVersion, Kind: Kind, Images: []Image{}}
	for _, img := range b.images {
		p.Images = append(p.Images, *img)
	}
	p.sort()
	return p
}

// sort orders images to copy before internal ones, each by source.
func (p *Plan) sort() {
	sort.Slice(p.Images, func(i, j int) bool {
		a, b := p.Images[i], p.Images[j]
		if a.Status != b.Status {
			return a.Status == Copy
		}
		return a.Source < b.Source
	})
}

// Build runs the rewrite engine over a manifest stream, changing nothing,
// and lists every image it finds. opts.CheckOnly is set here, and the
// builder observes the run after the observers opts has. A reference that stays public (no rule matches it and there is no
// mirror) or two sources colliding on one destination fail the build with
// a *rewrite.PolicyError whose report holds only those: an image with
// nowhere to go cannot be mirrored. Input errors are returned as they are.
func Build(in io.Reader, opts rewrite.Options, origins bool) (*Plan, *rewrite.Report, error) {
	b := &Builder{Origins: origins}
	opts.CheckOnly = true
	opts.Observe(rewrite.Observer{Image: b.Add})
	report, err := rewrite.Run(in, io.Discard, opts)
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		// CheckOnly counts every reference that is not internal as an
		// offender; for a plan only those with no destination are.
		report = policy.Report
		var unmapped []rewrite.Occurrence
		for _, o := range report.Offenders {
			if o.Mapping.Status == mapper.Unmapped {
				unmapped = append(unmapped, o)
			}
		}
		if len(unmapped) > 0 || len(report.Collisions) > 0 {
			failed := *report
			failed.Offenders = unmapped
			return nil, &failed, &rewrite.PolicyError{Report: &failed}
		}
		report.Offenders = nil
		err = nil
	}
	if err != nil {
		return nil, nil, err
	}
	return b.Plan(), report, nil
}
