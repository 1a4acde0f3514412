package lock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/plexicus/helm-airgap/internal/atomicfile"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// Version is the format version this package reads and writes.
const Version = 1

// maxSize bounds a lock file: tens of thousands of images fit in a few MiB.
const maxSize = 64 << 20

// File is a lock file.
type File struct {
	Version int     `yaml:"version"`
	Images  []Entry `yaml:"images"`

	bySource map[string]int // source -> index in Images
}

// Entry is what one source reference was mirrored as.
type Entry struct {
	// Source is the normalized source reference.
	Source string `yaml:"source"`
	// Destination is where it was copied, as the mirror plan names it.
	Destination string `yaml:"destination"`
	// Digest is the digest of the source manifest mirrored: the index
	// digest of a multi-platform image, else the single manifest's.
	Digest string `yaml:"digest"`
	// FilteredDigest is the digest of the index written to the destination
	// when --platform kept only some platforms; empty when copied whole.
	FilteredDigest string `yaml:"filteredDigest,omitempty"`
	// Platforms are the platform manifests kept, for an index.
	Platforms []Platform `yaml:"platforms,omitempty"`
	// Referrers are the signatures, attestations and SBOMs that travelled
	// with the image: OCI 1.1 referrers (by digest) and cosign's tags.
	Referrers []Referrer `yaml:"referrers,omitempty"`
	// Mirrored is when the copy was made (UTC).
	Mirrored time.Time `yaml:"mirrored"`
}

// Referrer is one manifest that refers to the image (or one of its
// platform manifests) and was copied beside it.
type Referrer struct {
	Digest string `yaml:"digest"`
	// Tag is the cosign tag it is found by ("sha256-<hex>.sig", ".att",
	// ".sbom"); empty for an OCI 1.1 referrer, found by its subject.
	Tag string `yaml:"tag,omitempty"`
}

// Platform is one platform manifest of an index.
type Platform struct {
	Platform string `yaml:"platform"`
	Digest   string `yaml:"digest"`
}

// PinnedDigest is the digest the destination holds: the filtered index's
// when platforms were filtered, else the source's.
func (e Entry) PinnedDigest() string {
	if e.FilteredDigest != "" {
		return e.FilteredDigest
	}
	return e.Digest
}

// Pinned is the destination pinned to what was mirrored: "repo:tag@digest"
// (or "repo@digest" when the destination has no tag). A digest already in
// the destination is replaced by the pinned one.
func (e Entry) Pinned() string { return withoutDigest(e.Destination) + "@" + e.PinnedDigest() }

// Normalize returns the key a source reference is looked up by: the
// reference as the mirror plan writes it (lower-case registry host,
// "docker.io/library/" for Docker Hub, tag and digest as written).
func Normalize(ref string) (string, error) {
	r, err := reference.Parse(ref)
	if err != nil {
		return "", err
	}
	return r.Repository() + r.Suffix, nil
}

// Lookup finds the entry of a source reference: as written first, then
// normalized ("nginx:1.25" finds docker.io/library/nginx:1.25).
func (f *File) Lookup(sourceRef string) (Entry, bool) {
	if e, ok := f.LookupExact(sourceRef); ok {
		return e, true
	}
	key, err := Normalize(sourceRef)
	if err != nil {
		return Entry{}, false
	}
	return f.LookupExact(key)
}

// ErrNotLocked is returned by Pin for a source the lock does not know.
var ErrNotLocked = errors.New("not in the lock file")

// Pin is what rewrite --lock writes for a source reference that the
// config maps to dest: dest pinned to the locked digest ("repo:tag@digest").
// A source the lock does not know is ErrNotLocked; one the lock sends
// elsewhere than dest (the config changed since mirroring) is an error
// naming both.
func (f *File) Pin(sourceRef, dest string) (string, error) {
	e, ok := f.Lookup(sourceRef)
	if !ok {
		return "", fmt.Errorf("%s: %w", sourceRef, ErrNotLocked)
	}
	if withoutDigest(e.Destination) != withoutDigest(dest) {
		return "", fmt.Errorf("%s: the lock file has it mirrored to %s, the config sends it to %s; mirror again to update the lock", sourceRef, e.Destination, dest)
	}
	return e.Pinned(), nil
}

func withoutDigest(ref string) string {
	if at := strings.LastIndexByte(ref, '@'); at >= 0 {
		return ref[:at]
	}
	return ref
}

// LookupExact finds the entry whose source is exactly sourceRef.
func (f *File) LookupExact(sourceRef string) (Entry, bool) {
	f.index()
	i, ok := f.bySource[sourceRef]
	if !ok {
		return Entry{}, false
	}
	return f.Images[i], true
}

// Put adds an entry or replaces the one with the same source.
func (f *File) Put(e Entry) {
	f.index()
	if i, ok := f.bySource[e.Source]; ok {
		f.Images[i] = e
		return
	}
	f.bySource[e.Source] = len(f.Images)
	f.Images = append(f.Images, e)
}

func (f *File) index() {
	if f.bySource != nil {
		return
	}
	f.bySource = make(map[string]int, len(f.Images))
	for i, e := range f.Images {
		f.bySource[e.Source] = i
	}
}

// Read reads and checks a lock file.
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading lock file %s: %w", path, err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("reading lock file %s: larger than %d MiB", path, maxSize>>20)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("reading lock file %s: %w", path, err)
	}
	return f, nil
}

// Parse parses and checks the bytes of a lock file.
func Parse(data []byte) (*File, error) {
	var probe struct {
		Version int `yaml:"version"`
	}
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a lock file: %w", err)
	}
	if probe.Version != Version {
		return nil, fmt.Errorf("lock file version %d is not supported (this helm-airgap reads version %d)", probe.Version, Version)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	f := &File{}
	if err := dec.Decode(f); err != nil {
		return nil, fmt.Errorf("not a lock file: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("a lock file is one YAML document")
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, nil
}

// check refuses entries a rewrite could not pin safely.
func (f *File) check() error {
	seen := map[string]bool{}
	for i, e := range f.Images {
		where := fmt.Sprintf("images[%d] (%q)", i, e.Source)
		if e.Source == "" || e.Destination == "" {
			return fmt.Errorf("%s: source and destination are required", where)
		}
		if seen[e.Source] {
			return fmt.Errorf("%s: source listed twice", where)
		}
		seen[e.Source] = true
		if _, err := reference.Parse(e.Source); err != nil {
			return fmt.Errorf("%s: source: %w", where, err)
		}
		if _, err := reference.Parse(e.Destination); err != nil {
			return fmt.Errorf("%s: destination: %w", where, err)
		}
		if !validDigest(e.Digest) {
			return fmt.Errorf("%s: digest %q is not sha256:<64 hex digits>", where, e.Digest)
		}
		if e.FilteredDigest != "" && !validDigest(e.FilteredDigest) {
			return fmt.Errorf("%s: filteredDigest %q is not sha256:<64 hex digits>", where, e.FilteredDigest)
		}
		for j, r := range e.Referrers {
			if !validDigest(r.Digest) {
				return fmt.Errorf("%s: referrers[%d]: digest %q is not sha256:<64 hex digits>", where, j, r.Digest)
			}
		}
		for j, p := range e.Platforms {
			if p.Platform == "" || !validDigest(p.Digest) {
				return fmt.Errorf("%s: platforms[%d]: a platform and a sha256 digest are required", where, j)
			}
		}
	}
	return nil
}

func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Marshal returns the file's bytes: entries sorted by source, a header
// comment saying what wrote it.
func (f *File) Marshal() ([]byte, error) {
	out := File{Version: Version, Images: append([]Entry(nil), f.Images...)}
	if out.Images == nil {
		out.Images = []Entry{}
	}
	sort.Slice(out.Images, func(i, j int) bool { return out.Images[i].Source < out.Images[j].Source })
	for i := range out.Images {
		out.Images[i].Mirrored = out.Images[i].Mirrored.UTC().Truncate(time.Second)
	}
	if err := out.check(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("# Written by helm-airgap mirror --lock; rewrite --lock pins to these digests. See docs/lock.md.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the file atomically (atomicfile): path is always the old
// lock or the complete new one.
func (f *File) Write(path string) error {
	data, err := f.Marshal()
	if err == nil {
		err = atomicfile.Write(path, data, atomicfile.Options{})
	}
	if err != nil {
		return fmt.Errorf("writing lock file %s: %w", path, err)
	}
	return nil
}
