package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/lock"
	"github.com/plexicus/helm-airgap/plan"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// Annotations on the archive's index.json entries. The source and
// destination make the archive self-describing: the inside pushes it without
// the manifests or the plan. io.containerd.image.name and ref.name let
// `ctr images import` name what it imports. A referrer (signature,
// attestation, SBOM) is an entry of kind "referrer" naming the source of
// the image it travels with, and its cosign tag when it has one.
const (
	AnnotationSource       = "com.plexicus.helm-airgap.source"
	AnnotationDestination  = "com.plexicus.helm-airgap.destination"
	AnnotationKind         = "com.plexicus.helm-airgap.kind"
	AnnotationSourceDigest = "com.plexicus.helm-airgap.source-digest"
	AnnotationReferrerOf   = "com.plexicus.helm-airgap.referrer-of"
	AnnotationTag          = "com.plexicus.helm-airgap.tag"
	annotationContainerd   = "io.containerd.image.name"
	annotationRefName      = "org.opencontainers.image.ref.name"

	kindImage    = "image"
	kindChart    = "chart"
	kindReferrer = "referrer"
)

// Archive is an OCI image layout holding mirrored images: a directory, or a
// tar of one (possibly in numbered volumes) extracted to a temporary
// directory. Opening it verifies every blob.
type Archive struct {
	Path    string // what the user named
	Entries []Entry
	// Prefixes are the mirror prefixes recorded when it was written: every
	// destination must be under one of them.
	Prefixes []string
	// Assumed are the blobs left out (mirror --have): each must already be
	// in its image's destination repository; see CheckAssumed.
	Assumed []AssumedBlob
	layout  layout.Path
	cleanup func()
}

// Entry is one image or chart in an archive, with its referrers.
type Entry struct {
	Item
	Descriptor v1.Descriptor
	// Referrers are the descriptors of what travels with it, annotated
	// with AnnotationTag when pushed by a cosign tag.
	Referrers []v1.Descriptor
}

// Close removes the temporary extraction, if any.
func (a *Archive) Close() error {
	if a.cleanup != nil {
		a.cleanup()
		a.cleanup = nil
	}
	return nil
}

// OpenArchive reads an archive written by ToArchive: a tar file, numbered
// tar volumes (PATH.001, PATH.002, ...), or an OCI layout directory. Every
// blob is checked against its digest and the archive's manifest before this
// returns, so nothing is pushed from a damaged or altered archive. Entries
// without helm-airgap annotations are an error: without their source there
// is no telling where they belong.
func OpenArchive(ctx context.Context, p string) (*Archive, error) {
	a := &Archive{Path: p}
	dir, m, cleanup, err := openLayoutDir(ctx, p, "")
	if err != nil {
		return nil, err
	}
	a.cleanup, a.Prefixes, a.Assumed = cleanup, m.Prefixes, m.Assumed
	if a.layout, err = layout.FromPath(dir); err != nil {
		a.Close()
		return nil, fmt.Errorf("reading archive %s: %w", p, err)
	}
	if a.Entries, err = readEntries(a.layout); err != nil {
		a.Close()
		return nil, fmt.Errorf("reading archive %s: %w", p, err)
	}
	return a, nil
}

// openLayoutDir returns the verified layout directory of an archive path:
// the path itself when it is a directory, else the tar extracted (and
// checked on the way) into a new temporary directory inside tmpParent
// ($TMPDIR when empty).
func openLayoutDir(ctx context.Context, p, tmpParent string) (string, *archiveManifest, func(), error) {
	info, err := os.Stat(p)
	if err == nil && info.IsDir() {
		m, err := verifyLayoutDir(ctx, p)
		if err != nil {
			return "", nil, nil, fmt.Errorf("reading archive %s: %w", p, err)
		}
		return p, m, func() {}, nil
	}
	vols, err := volumes(p)
	if err != nil {
		return "", nil, nil, err
	}
	dir, cleanup, err := newExtractDir(tmpParent)
	if err != nil {
		return "", nil, nil, fmt.Errorf("reading archive %s: %w", p, err)
	}
	m, err := extractInto(ctx, vols, dir)
	if err != nil {
		cleanup()
		return "", nil, nil, fmt.Errorf("reading archive %s: %w", p, err)
	}
	return dir, m, cleanup, nil
}

func extractInto(ctx context.Context, vols []string, dir string) (*archiveManifest, error) {
	r := &volumeReader{paths: vols}
	defer r.Close()
	return extractArchive(ctx, r, dir)
}

// readEntries lists the annotated images of a layout, each with its
// referrers.
func readEntries(lp layout.Path) ([]Entry, error) {
	ii, err := lp.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := ii.IndexManifest()
	if err != nil {
		return nil, err
	}
	var entries []Entry
	bySource := map[string]int{}
	var referrers []v1.Descriptor
	for i, desc := range im.Manifests {
		if desc.Annotations[AnnotationKind] == kindReferrer {
			if desc.Annotations[AnnotationReferrerOf] == "" {
				return nil, fmt.Errorf("index.json manifests[%d] (%s) is a referrer of nothing", i, desc.Digest)
			}
			referrers = append(referrers, desc)
			continue
		}
		src, dst := desc.Annotations[AnnotationSource], desc.Annotations[AnnotationDestination]
		if src == "" || dst == "" {
			return nil, fmt.Errorf("index.json manifests[%d] (%s) has no %s and %s annotations; it was not written by helm-airgap", i, desc.Digest, AnnotationSource, AnnotationDestination)
		}
		if _, dup := bySource[src]; dup {
			return nil, fmt.Errorf("index.json lists %s twice", src)
		}
		e := Entry{Descriptor: desc, Item: Item{
			Image:          plan.Image{Source: src, Destination: dst, Status: plan.Copy},
			Chart:          desc.Annotations[AnnotationKind] == kindChart,
			Digest:         desc.Digest.String(),
			ReferrersKnown: true,
		}}
		bySource[src] = len(entries)
		entries = append(entries, e)
	}
	for _, r := range referrers {
		i, ok := bySource[r.Annotations[AnnotationReferrerOf]]
		if !ok {
			return nil, fmt.Errorf("index.json: referrer %s belongs to %s, which the archive does not hold", r.Digest, r.Annotations[AnnotationReferrerOf])
		}
		if tag := r.Annotations[AnnotationTag]; tag != "" && !validCosignTag(tag) {
			return nil, fmt.Errorf("index.json: referrer %s has tag %q, not a cosign tag (sha256-<hex>.sig, .att or .sbom)", r.Digest, tag)
		}
		entries[i].Referrers = append(entries[i].Referrers, r)
		entries[i].Item.Referrers = append(entries[i].Item.Referrers, lock.Referrer{Digest: r.Digest.String(), Tag: r.Annotations[AnnotationTag]})
	}
	return entries, nil
}

// validCosignTag accepts only cosign's tag shapes: an archive must not
// choose arbitrary tags at the destination.
func validCosignTag(tag string) bool {
	for _, suffix := range cosignSuffixes {
		if hexPart, ok := strings.CutSuffix(tag, suffix); ok {
			if h, ok := strings.CutPrefix(hexPart, "sha256-"); ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == "" {
				return true
			}
		}
	}
	return false
}

// ArchiveOptions say how ToArchive writes.
type ArchiveOptions struct {
	// Prefixes are the mirror prefixes recorded in the archive; the inside
	// refuses a destination outside them.
	Prefixes []string
	// SplitSize, when positive, writes numbered volumes of at most this
	// many bytes (PATH.001, PATH.002, ...) instead of one file.
	SplitSize int64
	// Have is what the inside already holds (helm-airgap inventory): the
	// configs and layers it lists for an image's destination repository
	// are left out and recorded as assumed present.
	Have *Inventory
}

// ToArchive pulls every item, with its referrers, into one OCI image
// layout: a tar file (or numbered volumes), or, when target is an existing
// directory, that layout directory itself. A tar is built in a staging
// directory beside it (".NAME.partial") and written under temporary names
// renamed into place only when complete: target is always the old archive
// or the complete new one. An interrupted run keeps the staging directory
// and the next run resumes from it, fetching only what is missing.
// Re-running is safe and cheap: an item the archive already holds at the
// digest its source still points to is kept without pulling anything.
// Items whose source moved are pulled again; entries for other sources are
// kept.
func (c *Client) ToArchive(ctx context.Context, items []Item, target string, o ArchiveOptions) (*Report, error) {
	dir, done, err := c.prepareLayout(ctx, target)
	if err != nil {
		return nil, err
	}
	report, err := c.fillLayout(ctx, items, target, dir, o)
	done(err == nil && ctx.Err() == nil)
	return report, err
}

func (c *Client) fillLayout(ctx context.Context, items []Item, target, dir string, o ArchiveOptions) (*Report, error) {
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading archive %s: %w", target, err)
	}
	existing, err := readEntries(lp)
	if err != nil {
		return nil, fmt.Errorf("reading archive %s: %w", target, err)
	}
	have := map[string]Entry{}
	for _, e := range existing {
		have[e.Source] = e
	}

	d := c.newDisplay("archiving", len(items))
	run := newLayoutRun(c.opts.LayerJobs)
	var mu sync.Mutex
	written := map[string][]v1.Descriptor{} // source -> its descriptor and its referrers', for index.json
	report := c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := Result{Item: item}
		var descs []v1.Descriptor
		err := c.retry(ctx, func() error {
			var err error
			descs, err = c.archiveOne(ctx, lp, item, have, o.Have, run, &res)
			return err
		})
		if err != nil {
			res.Outcome, res.Err = Failed, fmt.Errorf("archiving %s: %w", item.Source, err)
		} else {
			mu.Lock()
			written[item.Source] = descs
			mu.Unlock()
		}
		logResult(d, res, "archived "+res.Item.Source, res.Item.Source)
		return res
	})
	d.close()
	report.Blobs = run.totals()
	if err := ctx.Err(); err != nil {
		return report, fmt.Errorf("writing archive %s: %w", target, err)
	}

	// Keep entries for sources this run did not touch, so a bundle can be
	// built up over several runs.
	var manifests []v1.Descriptor
	for _, e := range existing {
		if _, ok := written[e.Source]; !ok {
			manifests = append(manifests, e.Descriptor)
			manifests = append(manifests, e.Referrers...)
		}
	}
	for _, descs := range written {
		manifests = append(manifests, descs...)
	}
	sort.SliceStable(manifests, func(i, j int) bool { return entryKey(manifests[i]) < entryKey(manifests[j]) })
	if err := writeIndex(lp, manifests); err != nil {
		return report, fmt.Errorf("writing archive %s: %w", target, err)
	}
	m, err := sealLayout(ctx, dir, sortedPrefixes(o.Prefixes), o.Have)
	if err != nil {
		return report, fmt.Errorf("writing archive %s: %w", target, err)
	}
	if dir != target {
		if err := writeVolumes(ctx, dir, m, target, o.SplitSize); err != nil {
			return report, fmt.Errorf("writing archive %s: %w", target, err)
		}
	}
	return report, nil
}

// entryKey orders index.json: each image, then its referrers.
func entryKey(d v1.Descriptor) string {
	if of := d.Annotations[AnnotationReferrerOf]; of != "" {
		return of + "\x01" + d.Annotations[AnnotationTag] + d.Digest.String()
	}
	return d.Annotations[AnnotationSource] + "\x00"
}

// writeVolumes writes the tar under temporary names and renames it into
// place only when complete.
func writeVolumes(ctx context.Context, dir string, m *archiveManifest, target string, split int64) error {
	v := &volumeWriter{target: target, size: split}
	if err := writeArchiveTar(ctx, dir, m, v); err != nil {
		v.abort()
		return err
	}
	if err := v.commit(); err != nil {
		v.abort()
		return err
	}
	return nil
}

// prepareLayout returns the layout directory to write into: target itself
// when it is a directory, else the staging directory beside it (same file
// system): kept from an interrupted run, or holding the existing archive's
// content, or a new empty layout. done(ok) removes the staging directory
// after a complete run and keeps it otherwise, for the next run to resume.
func (c *Client) prepareLayout(ctx context.Context, target string) (string, func(bool), error) {
	info, err := os.Stat(target)
	if err == nil && info.IsDir() {
		if _, err := os.Stat(filepath.Join(target, indexFile)); errors.Is(err, os.ErrNotExist) {
			if _, err := layout.Write(target, empty.Index); err != nil {
				return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
			}
		}
		return target, func(bool) {}, nil
	}
	removeStaleTemps(target)
	staging := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".partial")
	done := func(ok bool) {
		if ok {
			os.RemoveAll(staging)
		} else {
			fmt.Fprintf(c.opts.Log, "helm-airgap: the partial archive is kept in %s; run the same command again to resume\n", staging)
		}
	}
	if _, err := os.Stat(filepath.Join(staging, indexFile)); err == nil {
		fmt.Fprintf(c.opts.Log, "helm-airgap: resuming from %s\n", staging)
		return staging, done, nil
	}
	if err := os.RemoveAll(staging); err != nil {
		return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
	}
	if vols, verr := volumes(target); verr == nil {
		// Start from the existing archive, checked like any archive read.
		if err := os.MkdirAll(staging, 0o755); err != nil {
			return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
		}
		if _, err := extractInto(ctx, vols, staging); err != nil {
			os.RemoveAll(staging)
			return "", nil, fmt.Errorf("reading the existing archive %s: %w", target, err)
		}
		return staging, done, nil
	}
	if _, err := layout.Write(staging, empty.Index); err != nil {
		os.RemoveAll(staging)
		return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
	}
	return staging, done, nil
}

// archiveOne is one attempt to put an item and its referrers into the
// layout; it returns their index.json descriptors.
func (c *Client) archiveOne(ctx context.Context, lp layout.Path, item Item, have map[string]Entry, inside *Inventory, run *layoutRun, res *Result) ([]v1.Descriptor, error) {
	if item.Artifact != nil {
		return archiveArtifact(lp, item, res)
	}
	repo := destinationRepo(item.CopyDestination())
	skip := blobSink{have: func(h v1.Hash) bool { return inside.Has(repo, h.String()) }, run: run}
	src, err := c.ref(item.CopySource())
	if err != nil {
		return nil, permanent{err}
	}
	var s *source
	if e, ok := have[item.Source]; ok {
		if s, err = c.resolveSource(ctx, item, src); err != nil {
			return nil, err
		}
		if e.Descriptor.Digest != s.digest {
			s = nil // the source moved: pull it again
		} else if s.manifest == nil {
			if s.manifest, err = readBlob(filepath.Join(string(lp), blobDir, s.digest.Hex), maxManifestBlob); err != nil {
				return nil, err
			}
			if sd := e.Descriptor.Annotations[AnnotationSourceDigest]; sd != "" {
				s.sourceDigest, _ = v1.NewHash(sd)
			}
		}
	}
	if s != nil {
		res.Outcome = Present
		skip.countPresent(ctx, s.digest, s.manifest, layoutTree{dir: string(lp)})
	} else {
		s = &source{}
		if err := c.fetchSource(ctx, item, src, s); err != nil {
			return nil, err
		}
		if err := writeTaggable(lp, s.taggable, skip); err != nil {
			return nil, err
		}
		res.Outcome = Copied
	}
	res.Digest = s.digest.String()
	s.record(res)
	desc := v1.Descriptor{MediaType: mediaTypeOf(s.manifest), Size: int64(len(s.manifest)), Digest: s.digest, Annotations: annotations(item)}
	if s.sourceDigest != (v1.Hash{}) {
		desc.Annotations[AnnotationSourceDigest] = s.sourceDigest.String()
	}
	descs := []v1.Descriptor{desc}
	if c.opts.NoReferrers {
		return descs, nil
	}
	refs, err := c.findReferrers(ctx, src.Context(), subjects(s.digest, s.sourceDigest, s.manifest))
	if err != nil {
		return nil, err
	}
	res.Referrers = res.Referrers[:0]
	for _, r := range refs {
		if !hasBlob(lp, r.desc.Digest) {
			rd, err := c.puller.Get(ctx, src.Context().Digest(r.desc.Digest.String()))
			if err != nil {
				return nil, sourceError(r.ref(src.Context()), err)
			}
			if err := writeTaggable(lp, rd, skip); err != nil {
				return nil, err
			}
			res.ReferrersCopied++
		}
		res.Referrers = append(res.Referrers, r.lock())
		ann := map[string]string{AnnotationKind: kindReferrer, AnnotationReferrerOf: item.Source}
		if r.tag != "" {
			ann[AnnotationTag] = r.tag
		}
		descs = append(descs, v1.Descriptor{MediaType: r.desc.MediaType, Size: r.desc.Size, Digest: r.desc.Digest, Annotations: ann})
	}
	return descs, nil
}

// archiveArtifact writes an item built here (a local chart).
func archiveArtifact(lp layout.Path, item Item, res *Result) ([]v1.Descriptor, error) {
	s, err := artifactSource(item)
	if err != nil {
		return nil, permanent{err}
	}
	res.Outcome, res.Digest = Copied, s.digest.String()
	if hasBlob(lp, s.digest) {
		res.Outcome = Present
	} else if err := writeTaggable(lp, s.taggable, blobSink{}); err != nil {
		return nil, permanent{err}
	}
	return []v1.Descriptor{{MediaType: mediaTypeOf(s.manifest), Size: int64(len(s.manifest)), Digest: s.digest, Annotations: annotations(item)}}, nil
}

// mediaTypeOf reads the media type a manifest declares.
func mediaTypeOf(manifest []byte) types.MediaType {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	_ = json.Unmarshal(manifest, &m)
	if m.MediaType == "" {
		return types.OCIManifestSchema1
	}
	return m.MediaType
}

func annotations(item Item) map[string]string {
	kind := kindImage
	if item.Chart {
		kind = kindChart
	}
	dest := item.CopyDestination()
	return map[string]string{
		AnnotationSource:      item.Source,
		AnnotationDestination: item.Destination,
		AnnotationKind:        kind,
		annotationContainerd:  dest,
		annotationRefName:     dest,
	}
}

// writeIndex replaces the layout's index.json atomically.
func writeIndex(lp layout.Path, manifests []v1.Descriptor) error {
	if manifests == nil {
		manifests = []v1.Descriptor{}
	}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: manifests}
	raw, err := json.MarshalIndent(index, "", "   ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(string(lp), indexFile), raw)
}

// CheckDestinations refuses entries whose destination is not a valid
// reference under one of the prefixes (the config's inside, or those
// recorded in the archive): an archive must not choose where it is pushed.
// Every offending entry is named.
func CheckDestinations(entries []Entry, prefixes []string) error {
	var problems []string
	if len(prefixes) == 0 {
		return errors.New("the archive records no mirror prefixes and no config was given: there is no telling whether its destinations are where they belong; give the config (-c) or --mirror")
	}
	for _, e := range entries {
		ref, err := reference.Parse(e.Destination)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", e.Source, err))
			continue
		}
		if !underAny(ref.Repository(), prefixes) {
			problems = append(problems, fmt.Sprintf("%s: destination %s is not under %s", e.Source, e.Destination, strings.Join(prefixes, ", ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("refusing to push %d archived image(s) outside the mirror:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return nil
}

func underAny(repo string, prefixes []string) bool {
	for _, p := range prefixes {
		if repo == p || strings.HasPrefix(repo, p+"/") {
			return true
		}
	}
	return false
}

// Push writes archive entries, with their referrers, to their
// destinations in the registry. The entries' destinations are the ones
// recorded in the archive or recomputed from the config; check them with
// CheckDestinations first. An entry whose destination already holds its
// digest is skipped.
func (c *Client) Push(ctx context.Context, a *Archive, entries []Entry) *Report {
	items := make([]Item, len(entries))
	bySource := map[string]Entry{}
	for i, e := range entries {
		items[i] = e.Item
		bySource[e.Source] = e
	}
	d := c.newDisplay("pushing", len(items))
	defer d.close()
	report := c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := Result{Item: item, Digest: item.Digest}
		e := bySource[item.Source]
		if err := c.retry(ctx, func() error { return c.pushEntry(ctx, a.layout, e, d, &res) }); err != nil {
			res.Outcome, res.Err = Failed, fmt.Errorf("pushing %s to %s: %w", item.Source, item.Destination, err)
		}
		logResult(d, res, "pushed   "+res.Item.Destination, res.Item.Destination)
		return res
	})
	report.Blobs = d.transfer()
	return report
}

func (c *Client) pushEntry(ctx context.Context, lp layout.Path, e Entry, d *display, res *Result) error {
	dst, err := c.ref(e.CopyDestination())
	if err != nil {
		return permanent{err}
	}
	if c.holds(ctx, dst, e.Descriptor.Digest.String()) {
		res.Outcome = Present
		d.xfer.countPresent(ctx, dst.Context(), e.Descriptor.Digest, nil, layoutTree{dir: string(lp)})
	} else {
		tr := d.track(e.Destination)
		err = c.pushFromLayout(ctx, lp, dst, e.Descriptor, tr)
		tr.done(err == nil)
		if err != nil {
			return fmt.Errorf("writing %s: %w", dst, err)
		}
		res.Outcome = Copied
	}
	if manifest, err := readBlob(filepath.Join(string(lp), blobDir, e.Descriptor.Digest.Hex), maxManifestBlob); err == nil {
		res.Platforms = platforms(manifest)
	}
	res.SourceDigest = e.Descriptor.Annotations[AnnotationSourceDigest]
	res.Referrers = res.Referrers[:0]
	for _, rd := range e.Referrers {
		r := referrer{desc: rd, tag: rd.Annotations[AnnotationTag]}
		to := r.ref(dst.Context())
		if !c.holds(ctx, to, rd.Digest.String()) {
			if err := c.pushFromLayout(ctx, lp, to, rd, d.quiet()); err != nil {
				return fmt.Errorf("writing %s: %w", to, err)
			}
			res.ReferrersCopied++
		}
		res.Referrers = append(res.Referrers, r.lock())
	}
	return nil
}

// pushFromLayout writes the manifest d of the layout, with everything it
// references, to ref: an index through pushTree, each distinct manifest
// once, whatever the descriptor claims it is.
func (c *Client) pushFromLayout(ctx context.Context, lp layout.Path, ref name.Reference, d v1.Descriptor, tr *tracker) error {
	src := layoutTree{dir: string(lp)}
	raw, err := src.manifest(ctx, d.Digest)
	if err != nil {
		return err
	}
	return c.pushManifest(ctx, ref, d.Digest, raw, d.MediaType, nil, src, tr)
}

// hasBlob reports whether the layout already holds a blob.
func hasBlob(lp layout.Path, h v1.Hash) bool {
	info, err := os.Stat(filepath.Join(string(lp), "blobs", h.Algorithm, h.Hex))
	return err == nil && info.Mode().IsRegular()
}

// CheckAssumed checks, with one blob HEAD each, that every blob a
// differential archive left out (mirror --have) is in the destination
// repository of the entry that uses it, and returns the missing ones
// ("DIGEST in REPO (SOURCE)"). Run it before pushing anything: an image
// pushed without them would be broken.
func (c *Client) CheckAssumed(ctx context.Context, a *Archive, entries []Entry) ([]string, error) {
	dest := map[string]string{}
	for _, e := range entries {
		dest[e.Source] = e.CopyDestination()
	}
	var missing []string
	for _, b := range a.Assumed {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		to, ok := dest[b.Source]
		if !ok {
			continue // not pushed (internal under this config)
		}
		ref, err := c.ref(to)
		if err != nil {
			return nil, err
		}
		at := ref.Context().Digest(b.Digest)
		err = c.retry(ctx, func() error {
			l, err := c.puller.Layer(ctx, at)
			if err == nil {
				_, err = l.Size() // a HEAD
			}
			return err
		})
		switch {
		case isNotFound(err):
			missing = append(missing, fmt.Sprintf("%s in %s (%s)", b.Digest, ref.Context(), b.Source))
		case err != nil:
			return nil, fmt.Errorf("checking %s: %w", at, err)
		}
	}
	return missing, nil
}
