package mirror

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/plan"
)

// Annotations on the archive's index.json entries. The source and
// destination make the archive self-describing: the inside pushes it without
// the manifests or the plan. io.containerd.image.name and ref.name let
// `ctr images import` name what it imports.
const (
	AnnotationSource      = "com.plexicus.helm-airgap.source"
	AnnotationDestination = "com.plexicus.helm-airgap.destination"
	AnnotationKind        = "com.plexicus.helm-airgap.kind"
	annotationContainerd  = "io.containerd.image.name"
	annotationRefName     = "org.opencontainers.image.ref.name"

	kindImage = "image"
	kindChart = "chart"
)

// Archive is an OCI image layout holding mirrored images: a directory, or a
// tar of one extracted to a temporary directory.
type Archive struct {
	Path    string // what the user named
	Entries []Entry
	layout  layout.Path
	cleanup func()
}

// Entry is one image or chart in an archive.
type Entry struct {
	Item
	Descriptor v1.Descriptor
}

// Close removes the temporary extraction, if any.
func (a *Archive) Close() error {
	if a.cleanup != nil {
		a.cleanup()
		a.cleanup = nil
	}
	return nil
}

// OpenArchive reads an archive written by ToArchive: a tar file (extracted to
// a temporary directory under $TMPDIR) or an OCI layout directory. Entries
// without helm-airgap annotations are an error: without their source there
// is no telling where they belong.
func OpenArchive(p string) (*Archive, error) {
	a := &Archive{Path: p}
	dir, cleanup, err := openLayoutDir(p, "")
	if err != nil {
		return nil, err
	}
	a.cleanup = cleanup
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

// openLayoutDir returns the layout directory of an archive path: the path
// itself when it is a directory, else the tar extracted into a new
// temporary directory (inside tmpParent, or $TMPDIR when empty).
func openLayoutDir(p, tmpParent string) (string, func(), error) {
	info, err := os.Stat(p)
	if err != nil {
		return "", nil, fmt.Errorf("reading archive: %w", err)
	}
	if info.IsDir() {
		return p, func() {}, nil
	}
	dir, err := os.MkdirTemp(tmpParent, ".helm-airgap-archive-*")
	if err != nil {
		return "", nil, fmt.Errorf("reading archive %s: %w", p, err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	if err := extractTar(p, dir); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("reading archive %s: %w", p, err)
	}
	return dir, cleanup, nil
}

// extractTar unpacks regular files and directories into dir; os.Root keeps
// every path inside it, whatever the tar says. Links and devices have no
// place in an OCI layout and are refused.
func extractTar(tarPath, dir string) error {
	f, err := os.Open(tarPath)
	if err != nil {
		return err
	}
	defer f.Close()
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a tar archive: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if name != "." {
				if err := root.MkdirAll(name, 0o755); err != nil {
					return err
				}
			}
		case tar.TypeReg:
			if d := path.Dir(name); d != "." {
				if err := root.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			out, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("extracting %s: %w", hdr.Name, err)
			}
		default:
			return fmt.Errorf("entry %q is not a regular file or directory", hdr.Name)
		}
	}
}

// readEntries lists the annotated images of a layout.
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
	for i, desc := range im.Manifests {
		src, dst := desc.Annotations[AnnotationSource], desc.Annotations[AnnotationDestination]
		if src == "" || dst == "" {
			return nil, fmt.Errorf("index.json manifests[%d] (%s) has no %s and %s annotations; it was not written by helm-airgap", i, desc.Digest, AnnotationSource, AnnotationDestination)
		}
		e := Entry{Descriptor: desc, Item: Item{
			Image:  plan.Image{Source: src, Destination: dst, Status: plan.Copy},
			Chart:  desc.Annotations[AnnotationKind] == kindChart,
			Digest: desc.Digest.String(),
		}}
		entries = append(entries, e)
	}
	return entries, nil
}

// ToArchive pulls every item into one OCI image layout: a tar file written
// atomically (a temporary file renamed into place), or, when target is an
// existing directory, that layout directory itself. Re-running is safe and
// cheap: an item the archive already holds at the digest its source still
// points to is kept without pulling anything. Items whose source moved are
// pulled again; entries for other sources are kept.
func (c *Client) ToArchive(ctx context.Context, items []Item, target string) (*Report, error) {
	dir, cleanup, err := c.prepareLayout(target)
	if err != nil {
		return nil, err
	}
	defer cleanup()
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
	var mu sync.Mutex
	written := map[string]v1.Descriptor{} // source -> descriptor, for index.json
	report := c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := Result{Item: item}
		var desc v1.Descriptor
		err := c.retry(ctx, func() error {
			var err error
			desc, err = c.archiveOne(ctx, lp, item, have, &res)
			return err
		})
		if err != nil {
			res.Outcome, res.Err = Failed, fmt.Errorf("archiving %s: %w", item.Source, err)
		} else {
			desc.Annotations = annotations(item)
			mu.Lock()
			written[item.Source] = desc
			mu.Unlock()
		}
		d.itemDone()
		logArchived(d, res)
		return res
	})
	d.close()

	// Keep entries for sources this run did not touch, so a bundle can be
	// built up over several runs.
	var manifests []v1.Descriptor
	for _, e := range existing {
		if _, ok := written[e.Source]; !ok {
			manifests = append(manifests, e.Descriptor)
		}
	}
	for _, desc := range written {
		manifests = append(manifests, desc)
	}
	sort.Slice(manifests, func(i, j int) bool {
		return manifests[i].Annotations[AnnotationSource] < manifests[j].Annotations[AnnotationSource]
	})
	if err := writeIndex(lp, manifests); err != nil {
		return report, fmt.Errorf("writing archive %s: %w", target, err)
	}
	if dir != target {
		if err := writeTar(dir, target); err != nil {
			return report, fmt.Errorf("writing archive %s: %w", target, err)
		}
	}
	return report, nil
}

// prepareLayout returns the layout directory to write into: target itself
// when it is a directory, else a temporary directory beside it (same file
// system, so the final rename is atomic) holding the existing archive's
// content, or a new empty layout.
func (c *Client) prepareLayout(target string) (string, func(), error) {
	info, err := os.Stat(target)
	switch {
	case err == nil && info.IsDir():
		if _, err := os.Stat(filepath.Join(target, "index.json")); errors.Is(err, os.ErrNotExist) {
			if _, err := layout.Write(target, empty.Index); err != nil {
				return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
			}
		}
		return target, func() {}, nil
	case err == nil:
		return openLayoutDir(target, filepath.Dir(target))
	case errors.Is(err, os.ErrNotExist):
		dir, err := os.MkdirTemp(filepath.Dir(target), ".helm-airgap-archive-*")
		if err != nil {
			return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
		}
		cleanup := func() { os.RemoveAll(dir) }
		if _, err := layout.Write(dir, empty.Index); err != nil {
			cleanup()
			return "", nil, fmt.Errorf("creating archive %s: %w", target, err)
		}
		return dir, cleanup, nil
	default:
		return "", nil, fmt.Errorf("creating archive: %w", err)
	}
}

// archiveOne is one attempt to put an item into the layout.
func (c *Client) archiveOne(ctx context.Context, lp layout.Path, item Item, have map[string]Entry, res *Result) (v1.Descriptor, error) {
	src, err := c.ref(item.CopySource())
	if err != nil {
		return v1.Descriptor{}, permanent{err}
	}
	want := item.Digest
	if e, ok := have[item.Source]; ok {
		if want == "" {
			h, err := c.resolve(ctx, src)
			if err != nil {
				return v1.Descriptor{}, sourceError(src, err)
			}
			want = h.String()
		}
		if e.Descriptor.Digest.String() == want {
			res.Outcome, res.Digest = Present, want
			return e.Descriptor, nil
		}
	}
	desc, err := c.puller.Get(ctx, src)
	if err != nil {
		return v1.Descriptor{}, sourceError(src, err)
	}
	if err := checkPinned(item, desc.Digest); err != nil {
		return v1.Descriptor{}, err
	}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return v1.Descriptor{}, err
		}
		if err := lp.WriteIndex(idx); err != nil {
			return v1.Descriptor{}, err
		}
	case desc.MediaType == types.OCIManifestSchema1 || desc.MediaType == types.DockerManifestSchema2:
		img, err := desc.Image()
		if err != nil {
			return v1.Descriptor{}, err
		}
		if err := lp.WriteImage(img); err != nil {
			return v1.Descriptor{}, err
		}
	default:
		return v1.Descriptor{}, permanent{fmt.Errorf("%s is a %s, which an OCI layout cannot hold", item.Source, desc.MediaType)}
	}
	res.Outcome, res.Digest = Copied, desc.Digest.String()
	return v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest}, nil
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

// writeIndex replaces the layout's index.json.
func writeIndex(lp layout.Path, manifests []v1.Descriptor) error {
	if manifests == nil {
		manifests = []v1.Descriptor{}
	}
	index := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: manifests}
	raw, err := json.MarshalIndent(index, "", "   ")
	if err != nil {
		return err
	}
	return lp.WriteFile("index.json", raw, 0o644)
}

// writeTar writes the layout directory as a tar to a temporary file beside
// target and renames it into place, so target is always either the old
// archive or the complete new one.
func writeTar(dir, target string) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	tw := tar.NewWriter(tmp)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}

func logArchived(d *display, res Result) {
	switch res.Outcome {
	case Copied:
		d.printf("archived %s (%s)", res.Item.Source, res.Digest)
	case Present:
		d.printf("present  %s (%s)", res.Item.Source, res.Digest)
	case Failed:
		d.printf("FAILED   %v", res.Err)
	}
}

// Push writes archive entries to their destinations in the registry: the
// destination recorded in the archive, or the one dest returns for the
// entry when dest is not nil (the current config, inside the gap). An entry
// whose destination already holds its digest is skipped.
func (c *Client) Push(ctx context.Context, a *Archive, entries []Entry) *Report {
	ii, err := a.layout.ImageIndex()
	items := make([]Item, len(entries))
	bySource := map[string]Entry{}
	for i, e := range entries {
		items[i] = e.Item
		bySource[e.Source] = e
	}
	d := c.newDisplay("pushing", len(items))
	defer d.close()
	return c.each(ctx, items, func(ctx context.Context, item Item) Result {
		res := Result{Item: item, Digest: item.Digest}
		e := bySource[item.Source]
		perr := err
		if perr == nil {
			perr = c.retry(ctx, func() error { return c.pushEntry(ctx, ii, e, d, &res) })
		}
		if perr != nil {
			res.Outcome, res.Err = Failed, fmt.Errorf("pushing %s to %s: %w", item.Source, item.Destination, perr)
		}
		d.itemDone()
		logPushed(d, res)
		return res
	})
}

func (c *Client) pushEntry(ctx context.Context, ii v1.ImageIndex, e Entry, d *display, res *Result) error {
	dst, err := c.ref(e.CopyDestination())
	if err != nil {
		return permanent{err}
	}
	if c.holds(ctx, dst, e.Descriptor.Digest.String()) {
		res.Outcome = Present
		return nil
	}
	var t remote.Taggable
	if e.Descriptor.MediaType.IsIndex() {
		t, err = ii.ImageIndex(e.Descriptor.Digest)
	} else {
		t, err = ii.Image(e.Descriptor.Digest)
	}
	if err != nil {
		return permanent{fmt.Errorf("reading %s from the archive: %w", e.Descriptor.Digest, err)}
	}
	tr := d.track(e.Destination)
	err = c.push(ctx, dst, t, tr)
	tr.done(err == nil)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	res.Outcome = Copied
	return nil
}

func logPushed(d *display, res Result) {
	switch res.Outcome {
	case Copied:
		d.printf("pushed   %s (%s)", res.Item.Destination, res.Digest)
	case Present:
		d.printf("present  %s (%s)", res.Item.Destination, res.Digest)
	case Failed:
		d.printf("FAILED   %v", res.Err)
	}
}
