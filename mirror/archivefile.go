package mirror

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/internal/atomicfile"
)

// The archive's own files. manifestFile lists every blob with its digest
// and size and the digest of index.json, so the inside can check every
// byte before pushing anything; it also records the mirror prefixes the
// destinations must stay under.
const (
	manifestFile    = "helm-airgap-archive.json"
	indexFile       = "index.json"
	layoutFile      = "oci-layout"
	archiveVersion  = 1
	blobDir         = "blobs/sha256/"
	staleTempSuffix = ".tmp"
)

// Limits on what an archive may make the inside read or hold: a hostile
// archive must not exhaust memory or disk (every blob is also bounded by
// the bytes actually carried, since sparse entries are refused).
const (
	maxIndexBytes    = 16 << 20 // index.json
	maxManifestBytes = 64 << 20 // helm-airgap-archive.json
	maxEntries       = 20000    // index.json entries: images, charts and their referrers
	maxBlobs         = 1 << 20  // blobs listed
	maxManifestBlob  = 8 << 20  // an image manifest or index inside the archive
)

// archiveManifest is helm-airgap-archive.json.
type archiveManifest struct {
	Version int `json:"version"`
	// Index is the digest and size of index.json.
	Index blobRef `json:"index"`
	// Prefixes are the repository prefixes every destination is under.
	Prefixes []string `json:"prefixes"`
	// Blobs are every blob of the layout, in the order the tar holds them
	// (each manifest before what it references).
	Blobs []blobRef `json:"blobs"`
	// Assumed are the configs and layers left out because the inside
	// already holds them (mirror --have): the inside checks each is in its
	// image's destination repository before pushing anything.
	Assumed []AssumedBlob `json:"assumed,omitempty"`
}

// AssumedBlob is a blob a differential archive leaves out: the image
// (by source) whose destination repository must already hold it.
type AssumedBlob struct {
	Source string `json:"source"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

type blobRef struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// readLimited reads all of r, refusing more than limit bytes: an archive
// or a registry must not make this process hold more than it allows.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than the %d bytes allowed", limit)
	}
	return data, nil
}

// readJSONFile reads a small JSON file, refusing one larger than limit.
func readJSONFile(r io.Reader, limit int64, name string, v any) ([]byte, error) {
	data, err := readLimited(r, limit)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}

// checkManifest checks the archive manifest's shape.
func (m *archiveManifest) check() error {
	if m.Version != archiveVersion {
		return fmt.Errorf("%s version %d is not supported (this helm-airgap reads version %d)", manifestFile, m.Version, archiveVersion)
	}
	if len(m.Blobs) > maxBlobs {
		return fmt.Errorf("%s lists %d blobs, more than the %d allowed", manifestFile, len(m.Blobs), maxBlobs)
	}
	seen := map[string]bool{}
	for _, b := range append([]blobRef{m.Index}, m.Blobs...) {
		if _, err := v1.NewHash(b.Digest); err != nil || !strings.HasPrefix(b.Digest, "sha256:") || b.Size < 0 {
			return fmt.Errorf("%s: invalid blob %q (size %d)", manifestFile, b.Digest, b.Size)
		}
	}
	for _, b := range m.Blobs {
		if seen[b.Digest] {
			return fmt.Errorf("%s lists blob %s twice", manifestFile, b.Digest)
		}
		seen[b.Digest] = true
	}
	if len(m.Assumed) > maxBlobs {
		return fmt.Errorf("%s assumes %d blobs, more than the %d allowed", manifestFile, len(m.Assumed), maxBlobs)
	}
	for _, b := range m.Assumed {
		if _, err := v1.NewHash(b.Digest); err != nil || !strings.HasPrefix(b.Digest, "sha256:") || b.Source == "" {
			return fmt.Errorf("%s: invalid assumed blob %q of %q", manifestFile, b.Digest, b.Source)
		}
		if seen[b.Digest] {
			return fmt.Errorf("%s both holds and assumes blob %s", manifestFile, b.Digest)
		}
	}
	return nil
}

// assumedSet are the digests an archive assumes present.
func (m *archiveManifest) assumedSet() map[string]bool {
	out := map[string]bool{}
	for _, b := range m.Assumed {
		out[b.Digest] = true
	}
	return out
}

// readIndex parses index.json within the limits.
func readIndex(data []byte) (*v1.IndexManifest, error) {
	var im v1.IndexManifest
	if err := json.Unmarshal(data, &im); err != nil {
		return nil, fmt.Errorf("reading %s: %w", indexFile, err)
	}
	if len(im.Manifests) > maxEntries {
		return nil, fmt.Errorf("%s has %d entries, more than the %d allowed", indexFile, len(im.Manifests), maxEntries)
	}
	return &im, nil
}

// references are the blobs a manifest or index names: its config, layers
// and child manifests (a subject is not followed: it is what the artifact
// refers to, not part of it).
func references(mt types.MediaType, raw []byte) ([]v1.Descriptor, error) {
	var m struct {
		Config    *v1.Descriptor  `json:"config"`
		Layers    []v1.Descriptor `json:"layers"`
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	var out []v1.Descriptor
	if m.Config != nil && m.Config.Digest.Hex != "" {
		out = append(out, *m.Config)
	}
	for _, l := range m.Layers {
		if l.MediaType.IsDistributable() && len(l.URLs) == 0 {
			out = append(out, l)
		}
	}
	out = append(out, m.Manifests...)
	if len(out) > maxEntries {
		return nil, fmt.Errorf("%s lists %d blobs, more than the %d allowed", mt, len(out), maxEntries)
	}
	return out, nil
}

// isManifest reports whether a descriptor names a manifest or index,
// whose references must be followed.
func isManifest(d v1.Descriptor) bool {
	return d.MediaType.IsIndex() || d.MediaType.IsImage() || d.MediaType == types.OCIManifestSchema1 ||
		d.MediaType == "application/vnd.oci.artifact.manifest.v1+json"
}

// closure walks the index from dir: every blob it references, manifests
// before their content, each once, with the size its descriptor gives;
// configs and layers in assumed (left out of a differential archive) are
// not listed.
func closure(ctx context.Context, dir string, im *v1.IndexManifest, assumed map[string]bool) ([]blobRef, error) {
	var out []blobRef
	seen := map[string]bool{}
	queue := append([]v1.Descriptor(nil), im.Manifests...)
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d := queue[0]
		queue = queue[1:]
		key := d.Digest.String()
		if seen[key] {
			continue
		}
		seen[key] = true
		if d.Digest.Algorithm != "sha256" {
			return nil, fmt.Errorf("blob %s: only sha256 digests are supported", key)
		}
		if assumed[key] && !isManifest(d) {
			continue
		}
		out = append(out, blobRef{Digest: key, Size: d.Size})
		if len(out) > maxBlobs {
			return nil, fmt.Errorf("the index references more than %d blobs", maxBlobs)
		}
		if !isManifest(d) {
			continue
		}
		raw, err := readBlob(filepath.Join(dir, blobDir, d.Digest.Hex), maxManifestBlob)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", key, err)
		}
		refs, err := references(d.MediaType, raw)
		if err != nil {
			return nil, fmt.Errorf("manifest %s: %w", key, err)
		}
		queue = append(queue, refs...)
	}
	return out, nil
}

func readBlob(p string, limit int64) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

// sealLayout writes helm-airgap-archive.json for a layout directory whose
// index.json is final, checking every blob against its digest on the way.
func sealLayout(ctx context.Context, dir string, prefixes []string, have *Inventory) (*archiveManifest, error) {
	indexData, err := os.ReadFile(filepath.Join(dir, indexFile))
	if err != nil {
		return nil, err
	}
	im, err := readIndex(indexData)
	if err != nil {
		return nil, err
	}
	assumed, err := assumedBlobs(ctx, dir, im, have)
	if err != nil {
		return nil, err
	}
	m0 := archiveManifest{Assumed: assumed}
	blobs, err := closure(ctx, dir, im, m0.assumedSet())
	if err != nil {
		return nil, err
	}
	for _, b := range blobs {
		if err := checkBlobFile(ctx, dir, b, true); err != nil {
			return nil, err
		}
	}
	sum := sha256.Sum256(indexData)
	m := &archiveManifest{
		Version:  archiveVersion,
		Index:    blobRef{Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(indexData))},
		Prefixes: prefixes,
		Blobs:    blobs,
		Assumed:  assumed,
	}
	data, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return nil, err
	}
	return m, writeFileAtomic(filepath.Join(dir, manifestFile), data)
}

// checkBlobFile hashes one blob file against its digest and size. Writing
// (removeBad), a bad one is removed so a re-run fetches it again instead of
// carrying it; reading an archive, nothing is ever deleted.
func checkBlobFile(ctx context.Context, dir string, b blobRef, removeBad bool) error {
	p := filepath.Join(dir, blobDir, strings.TrimPrefix(b.Digest, "sha256:"))
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, io.LimitReader(f, b.Size+1)})
	if err != nil {
		return fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got == b.Digest && n == b.Size {
		return nil
	}
	if removeBad {
		os.Remove(p)
		return fmt.Errorf("blob %s is damaged (it does not match its digest and size); it was removed, re-run to fetch it again", b.Digest)
	}
	return fmt.Errorf("blob %s was altered: it does not match its digest and size; the archive is refused", b.Digest)
}

// verifyLayoutDir checks a layout directory against its manifest: the
// index.json digest, every blob's digest and size, and that the manifest
// lists exactly what the index references.
func verifyLayoutDir(ctx context.Context, dir string) (*archiveManifest, error) {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s: %w (an archive written by an older helm-airgap has none; write it again)", manifestFile, err)
	}
	var m archiveManifest
	_, err = readJSONFile(f, maxManifestBytes, manifestFile, &m)
	f.Close()
	if err != nil {
		return nil, err
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	indexData, err := readBlob(filepath.Join(dir, indexFile), maxIndexBytes)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", indexFile, err)
	}
	if err := checkIndex(&m, indexData); err != nil {
		return nil, err
	}
	im, err := readIndex(indexData)
	if err != nil {
		return nil, err
	}
	for _, b := range m.Blobs {
		if err := checkBlobFile(ctx, dir, b, false); err != nil {
			return nil, err
		}
	}
	blobs, err := closure(ctx, dir, im, m.assumedSet())
	if err != nil {
		return nil, err
	}
	return &m, sameBlobs(m.Blobs, blobs)
}

func checkIndex(m *archiveManifest, indexData []byte) error {
	sum := sha256.Sum256(indexData)
	if "sha256:"+hex.EncodeToString(sum[:]) != m.Index.Digest || int64(len(indexData)) != m.Index.Size {
		return fmt.Errorf("%s was altered: it does not match the digest %s records; the archive is refused", indexFile, manifestFile)
	}
	return nil
}

// sameBlobs requires the manifest to list exactly the index's blobs.
func sameBlobs(listed, referenced []blobRef) error {
	want := map[string]int64{}
	for _, b := range referenced {
		want[b.Digest] = b.Size
	}
	for _, b := range listed {
		size, ok := want[b.Digest]
		if !ok {
			return fmt.Errorf("blob %s is not referenced by the index; the archive is refused", b.Digest)
		}
		if size != b.Size {
			return fmt.Errorf("blob %s: the index says %d bytes, %s says %d; the archive is refused", b.Digest, size, manifestFile, b.Size)
		}
		delete(want, b.Digest)
	}
	for d := range want {
		return fmt.Errorf("blob %s referenced by the index is missing from the archive", d)
	}
	return nil
}

// ctxReader stops a long copy when the run is interrupted.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// writeFileAtomic writes a file under a temporary name and renames it, so
// the name never holds a partial file.
func writeFileAtomic(p string, data []byte) error {
	return writeAtomic(p, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic writes a file through write under a temporary name beside it
// (removed by the next run if left behind: staleTempSuffix) and renames it
// into place once write succeeded, so the name never holds a partial file.
func writeAtomic(p string, write func(io.Writer) error) error {
	return atomicfile.WriteFunc(p, atomicfile.Options{Pattern: "." + filepath.Base(p) + ".*" + staleTempSuffix}, write)
}

// extractArchive reads a tar archive (one file or numbered volumes read in
// order) into dir, checking as it goes: the archive's own files come
// first; a blob must be one the index (or a manifest already read)
// references and the manifest lists, at its listed size, hashing to its
// digest; sparse entries, links, devices and any other file are refused.
// Nothing is extracted that the index does not reference.
func extractArchive(ctx context.Context, r io.Reader, dir string) (*archiveManifest, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := root.MkdirAll(strings.TrimSuffix(blobDir, "/"), 0o755); err != nil {
		return nil, err
	}
	x := &extraction{ctx: ctx, root: root, dir: dir, seen: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not a tar archive: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return nil, err
		}
	}
	if x.manifest == nil || x.index == nil {
		return nil, fmt.Errorf("no %s and %s: not an archive written by helm-airgap mirror --to-archive", manifestFile, indexFile)
	}
	for _, b := range x.manifest.Blobs {
		if !x.seen[b.Digest] {
			return nil, fmt.Errorf("blob %s listed in %s is missing from the archive (a volume missing?)", b.Digest, manifestFile)
		}
	}
	return x.manifest, nil
}

type extraction struct {
	ctx      context.Context
	root     *os.Root
	dir      string
	manifest *archiveManifest
	index    *v1.IndexManifest
	listed   map[string]int64         // digest -> size, from the manifest
	allowed  map[string]v1.Descriptor // referenced so far
	seen     map[string]bool
}

func (x *extraction) entry(hdr *tar.Header, tr *tar.Reader) error {
	name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
	if err := refuseSparse(hdr); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if name == "." || name == "blobs" || name == "blobs/sha256" {
			return nil
		}
		return fmt.Errorf("entry %q: an archive holds no such directory", hdr.Name)
	case tar.TypeReg:
	default:
		return fmt.Errorf("entry %q is not a regular file or directory", hdr.Name)
	}
	switch {
	case name == layoutFile:
		return x.small(name, hdr, tr, 4096, nil)
	case name == manifestFile:
		if x.manifest != nil {
			return fmt.Errorf("entry %q appears twice", hdr.Name)
		}
		var m archiveManifest
		if err := x.small(name, hdr, tr, maxManifestBytes, &m); err != nil {
			return err
		}
		if err := m.check(); err != nil {
			return err
		}
		x.manifest = &m
		x.listed = map[string]int64{}
		for _, b := range m.Blobs {
			x.listed[b.Digest] = b.Size
		}
		return nil
	case name == indexFile:
		if x.manifest == nil {
			return fmt.Errorf("%s comes before %s: not an archive written by this helm-airgap (write it again)", indexFile, manifestFile)
		}
		if x.index != nil {
			return fmt.Errorf("entry %q appears twice", hdr.Name)
		}
		data, err := x.read(name, hdr, tr, maxIndexBytes)
		if err != nil {
			return err
		}
		if err := checkIndex(x.manifest, data); err != nil {
			return err
		}
		if x.index, err = readIndex(data); err != nil {
			return err
		}
		x.allowed = map[string]v1.Descriptor{}
		for _, d := range x.index.Manifests {
			x.allowed[d.Digest.String()] = d
		}
		return x.root.WriteFile(name, data, 0o644)
	case strings.HasPrefix(name, blobDir) && !strings.Contains(name[len(blobDir):], "/"):
		return x.blob(name, hdr, tr)
	default:
		return fmt.Errorf("entry %q is not part of an OCI layout written by helm-airgap; the archive is refused", hdr.Name)
	}
}

// refuseSparse refuses GNU and PAX sparse entries: a few KB of archive
// must not expand to gigabytes of holes.
func refuseSparse(hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return fmt.Errorf("entry %q is a sparse file; the archive is refused", hdr.Name)
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return fmt.Errorf("entry %q is a sparse file; the archive is refused", hdr.Name)
		}
	}
	return nil
}

func (x *extraction) read(name string, hdr *tar.Header, tr io.Reader, limit int64) ([]byte, error) {
	if hdr.Size > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d allowed", name, hdr.Size, limit)
	}
	data, err := readLimited(tr, limit)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}

func (x *extraction) small(name string, hdr *tar.Header, tr io.Reader, limit int64, v any) error {
	data, err := x.read(name, hdr, tr, limit)
	if err != nil {
		return err
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return x.root.WriteFile(name, data, 0o644)
}

func (x *extraction) blob(name string, hdr *tar.Header, tr io.Reader) error {
	if x.index == nil {
		return fmt.Errorf("blob %q comes before %s and %s: not an archive written by this helm-airgap (write it again)", hdr.Name, manifestFile, indexFile)
	}
	digest := "sha256:" + name[len(blobDir):]
	size, listed := x.listed[digest]
	desc, referenced := x.allowed[digest]
	switch {
	case x.seen[digest]:
		return fmt.Errorf("blob %s appears twice", digest)
	case !listed:
		return fmt.Errorf("blob %s is not listed in %s; the archive is refused", digest, manifestFile)
	case !referenced:
		return fmt.Errorf("blob %s is not referenced by the index (or comes before the manifest that references it); the archive is refused", digest)
	case hdr.Size != size || desc.Size != size:
		return fmt.Errorf("blob %s is %d bytes in the tar, %d in %s and %d in its descriptor; the archive is refused", digest, hdr.Size, size, manifestFile, desc.Size)
	}
	x.seen[digest] = true
	out, err := x.root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	h := sha256.New()
	var keep []byte
	var w io.Writer = io.MultiWriter(out, h)
	var buf *limitedBuffer
	if isManifest(desc) {
		if size > maxManifestBlob {
			out.Close()
			return fmt.Errorf("manifest %s is %d bytes, more than the %d allowed", digest, size, maxManifestBlob)
		}
		buf = &limitedBuffer{}
		w = io.MultiWriter(out, h, buf)
	}
	n, err := io.Copy(w, ctxReader{x.ctx, io.LimitReader(tr, size)})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("extracting blob %s: %w", digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest || n != size {
		return fmt.Errorf("blob %s was altered: its content hashes to %s; the archive is refused before anything is pushed", digest, got)
	}
	if buf != nil {
		keep = buf.data
		refs, err := references(desc.MediaType, keep)
		if err != nil {
			return fmt.Errorf("manifest %s: %w", digest, err)
		}
		for _, r := range refs {
			if _, ok := x.allowed[r.Digest.String()]; !ok {
				x.allowed[r.Digest.String()] = r
			}
		}
	}
	return nil
}

type limitedBuffer struct{ data []byte }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.data = append(b.data, p...)
	return len(p), nil
}

// writeArchiveTar writes the sealed layout in dir as a tar in the order
// the reader needs: oci-layout, the manifest, index.json, then the blobs
// in manifest order. The output goes to temporary names renamed into place
// only when complete (see volumeWriter).
func writeArchiveTar(ctx context.Context, dir string, m *archiveManifest, w io.Writer) error {
	tw := tar.NewWriter(w)
	for _, name := range []string{layoutFile, manifestFile, indexFile} {
		if err := addFile(ctx, tw, dir, name); err != nil {
			return err
		}
	}
	for _, b := range m.Blobs {
		if err := addFile(ctx, tw, dir, blobDir+strings.TrimPrefix(b.Digest, "sha256:")); err != nil {
			return err
		}
	}
	return tw.Close()
}

func addFile(ctx context.Context, tw *tar.Writer, dir, name string) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, ctxReader{ctx, f})
	return err
}

// volumes are the files an archive path names: itself, or, when it does not
// exist (or names the first volume), PATH.001, PATH.002, ... in order.
func volumes(p string) ([]string, error) {
	if base, ok := strings.CutSuffix(p, ".001"); ok {
		return numberedVolumes(base)
	}
	if _, err := os.Stat(p); err == nil || !errors.Is(err, os.ErrNotExist) {
		return []string{p}, err
	}
	vols, err := numberedVolumes(p)
	if err != nil || len(vols) == 0 {
		return nil, fmt.Errorf("reading archive: %w", os.ErrNotExist)
	}
	return vols, nil
}

func numberedVolumes(base string) ([]string, error) {
	var out []string
	for n := 1; ; n++ {
		v := volumeName(base, n)
		if _, err := os.Stat(v); errors.Is(err, os.ErrNotExist) {
			break
		} else if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading archive: no volume %s: %w", volumeName(base, 1), os.ErrNotExist)
	}
	return out, nil
}

func volumeName(base string, n int) string { return fmt.Sprintf("%s.%03d", base, n) }

// volumeReader reads numbered volumes one after the other, opening each
// only when the previous one is done.
type volumeReader struct {
	paths []string
	cur   *os.File
}

func (v *volumeReader) Read(p []byte) (int, error) {
	for {
		if v.cur == nil {
			if len(v.paths) == 0 {
				return 0, io.EOF
			}
			f, err := os.Open(v.paths[0])
			if err != nil {
				return 0, err
			}
			v.cur, v.paths = f, v.paths[1:]
		}
		n, err := v.cur.Read(p)
		if errors.Is(err, io.EOF) {
			v.cur.Close()
			v.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

func (v *volumeReader) Close() error {
	if v.cur != nil {
		return v.cur.Close()
	}
	return nil
}

// volumeWriter writes one file, or numbered volumes of at most size bytes,
// each under a temporary name; commit renames them into place and removes
// volumes (or the single file) left by an earlier, larger run.
type volumeWriter struct {
	target string
	size   int64 // 0: one file
	files  []*os.File
	cur    int64
}

func (v *volumeWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if len(v.files) == 0 || (v.size > 0 && v.cur >= v.size) {
			if err := v.next(); err != nil {
				return written, err
			}
		}
		chunk := p
		if v.size > 0 && int64(len(chunk)) > v.size-v.cur {
			chunk = chunk[:v.size-v.cur]
		}
		n, err := v.files[len(v.files)-1].Write(chunk)
		written += n
		v.cur += int64(n)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (v *volumeWriter) next() error {
	name := v.target
	if v.size > 0 {
		name = volumeName(v.target, len(v.files)+1)
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*"+staleTempSuffix)
	if err != nil {
		return err
	}
	v.files = append(v.files, f)
	v.cur = 0
	return nil
}

func (v *volumeWriter) finalName(i int) string {
	if v.size > 0 {
		return volumeName(v.target, i+1)
	}
	return v.target
}

// commit syncs and renames every temporary file into place, the last
// volume first, then removes what an earlier run left beyond them.
func (v *volumeWriter) commit() error {
	if len(v.files) == 0 {
		if err := v.next(); err != nil {
			return err
		}
	}
	for _, f := range v.files {
		if err := f.Sync(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	for i := len(v.files) - 1; i >= 0; i-- {
		if err := os.Rename(v.files[i].Name(), v.finalName(i)); err != nil {
			return err
		}
	}
	if v.size > 0 {
		os.Remove(v.target)
		for n := len(v.files) + 1; ; n++ {
			if err := os.Remove(volumeName(v.target, n)); err != nil {
				break
			}
		}
	} else {
		stale, _ := numberedVolumes(v.target)
		for _, s := range stale {
			os.Remove(s)
		}
	}
	v.files = nil
	return nil
}

// abort removes the temporary files.
func (v *volumeWriter) abort() {
	for _, f := range v.files {
		f.Close()
		os.Remove(f.Name())
	}
	v.files = nil
}

// removeStaleTemps removes temporary files an interrupted run left beside
// target (".bundle.tar.*.tmp", ".bundle.tar.001.*.tmp").
func removeStaleTemps(target string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(target), "."+globEscape(filepath.Base(target))+"*"+staleTempSuffix))
	for _, m := range matches {
		os.Remove(m)
	}
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(s)
}

// sortedPrefixes dedupes and sorts prefixes.
func sortedPrefixes(ps []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range ps {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// assumedBlobs are the configs and layers the layout lacks because the
// inventory says the destination repository of every image using them
// holds them; one the layout lacks for any other image is an error.
func assumedBlobs(ctx context.Context, dir string, im *v1.IndexManifest, have *Inventory) ([]AssumedBlob, error) {
	if have == nil {
		return nil, nil
	}
	repoOf := map[string]string{} // source -> destination repository
	for _, d := range im.Manifests {
		if d.Annotations[AnnotationKind] != kindReferrer {
			repoOf[d.Annotations[AnnotationSource]] = destinationRepo(d.Annotations[AnnotationDestination])
		}
	}
	seen := map[string]bool{}
	var out []AssumedBlob
	for _, d := range im.Manifests {
		src := d.Annotations[AnnotationSource]
		if d.Annotations[AnnotationKind] == kindReferrer {
			src = d.Annotations[AnnotationReferrerOf]
		}
		blobs, err := closure(ctx, dir, &v1.IndexManifest{Manifests: []v1.Descriptor{d}}, nil)
		if err != nil {
			return nil, err
		}
		for _, b := range blobs {
			if _, err := os.Stat(filepath.Join(dir, blobDir, strings.TrimPrefix(b.Digest, "sha256:"))); err == nil {
				continue
			}
			if !have.Has(repoOf[src], b.Digest) {
				return nil, fmt.Errorf("blob %s of %s is neither in the archive nor, by the inventory, in %s", b.Digest, src, repoOf[src])
			}
			if key := src + "\x00" + b.Digest; !seen[key] {
				seen[key] = true
				out = append(out, AssumedBlob{Source: src, Digest: b.Digest, Size: b.Size})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source+out[i].Digest < out[j].Source+out[j].Digest })
	return out, nil
}
