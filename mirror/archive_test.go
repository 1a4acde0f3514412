package mirror

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// archiveOf writes the fixture's images to a tar and returns its path.
func archiveOf(t *testing.T, f *fixture, o ArchiveOptions) string {
	t.Helper()
	bundle := filepath.Join(t.TempDir(), "bundle.tar")
	r, err := newClient(t, Options{}).ToArchive(context.Background(), f.items, bundle, o)
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	return bundle
}

// tarEntry is one entry of a tar, read whole.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

func readTar(t *testing.T, p string) []tarEntry {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tarEntry
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tarEntry{hdr, data})
	}
}

func writeTar(t *testing.T, p string, entries []tarEntry) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		e.hdr.Size = int64(len(e.data))
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// largestBlob is the index of the largest blob entry (a layer).
func largestBlob(entries []tarEntry) int {
	best := -1
	for i, e := range entries {
		if strings.HasPrefix(e.hdr.Name, blobDir) && (best < 0 || len(e.data) > len(entries[best].data)) {
			best = i
		}
	}
	return best
}

func TestTamperedArchiveIsRefusedBeforeAnyPush(t *testing.T) {
	f := newFixture(t)
	bundle := archiveOf(t, f, ArchiveOptions{Prefixes: []string{f.dst.Host + "/mirror"}})
	pristine := readTar(t, bundle)
	tests := []struct {
		name   string
		tamper func([]tarEntry) []tarEntry
		want   string
	}{
		{"a layer's byte flipped", func(es []tarEntry) []tarEntry {
			i := largestBlob(es)
			es[i].data[len(es[i].data)/2] ^= 0xff
			return es
		}, "was altered"},
		{"a destination changed in index.json", func(es []tarEntry) []tarEntry {
			for i, e := range es {
				if e.hdr.Name == indexFile {
					es[i].data = bytes.Replace(e.data, []byte("/mirror/team/api"), []byte("/kube-system/pause"), 1)
				}
			}
			return es
		}, "index.json was altered"},
		{"a blob removed", func(es []tarEntry) []tarEntry {
			i := largestBlob(es)
			return append(es[:i], es[i+1:]...)
		}, "missing from the archive"},
		{"an unlisted blob added", func(es []tarEntry) []tarEntry {
			data := []byte("extra")
			name := fmt.Sprintf("%s%x", blobDir, sha256Sum(data))
			return append(es, tarEntry{&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg}, data})
		}, "is not listed"},
		{"another file added", func(es []tarEntry) []tarEntry {
			return append(es, tarEntry{&tar.Header{Name: "etc/cron.d/x", Mode: 0o644, Typeflag: tar.TypeReg}, []byte("x")})
		}, "is not part of an OCI layout"},
		{"a blob before the index", func(es []tarEntry) []tarEntry {
			i := largestBlob(es)
			return append([]tarEntry{es[i]}, append(es[:i:i], es[i+1:]...)...)
		}, "comes before"},
		{"a symlink", func(es []tarEntry) []tarEntry {
			return append(es, tarEntry{&tar.Header{Name: "blobs/sha256/link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}, nil})
		}, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := make([]tarEntry, len(pristine))
			for i, e := range pristine {
				h := *e.hdr
				entries[i] = tarEntry{&h, append([]byte(nil), e.data...)}
			}
			bad := filepath.Join(t.TempDir(), "bad.tar")
			writeTar(t, bad, tt.tamper(entries))
			f.dst.Requests()
			_, err := OpenArchive(context.Background(), bad)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("opening the tampered archive: %v, want %q", err, tt.want)
			}
			if reqs := f.dst.Requests(); len(reqs) > 0 {
				t.Errorf("the registry was contacted: %v", reqs)
			}
		})
	}
	// The pristine archive, rewritten by the test, still opens.
	good := filepath.Join(t.TempDir(), "good.tar")
	writeTar(t, good, pristine)
	a, err := OpenArchive(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

func TestTamperedLayoutDirectoryIsRefused(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	if _, err := newClient(t, Options{}).ToArchive(context.Background(), f.items, dir, ArchiveOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := OpenArchive(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	blobs, _ := filepath.Glob(filepath.Join(dir, "blobs", "sha256", "*"))
	var largest string
	var size int64
	for _, b := range blobs {
		if info, _ := os.Stat(b); info.Size() > size {
			largest, size = b, info.Size()
		}
	}
	data, _ := os.ReadFile(largest)
	data[0] ^= 0xff
	if err := os.WriteFile(largest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenArchive(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "was altered") {
		t.Errorf("opening the tampered directory: %v", err)
	}
}

func sha256Sum(b []byte) []byte {
	h, _, _ := v1.SHA256(bytes.NewReader(b))
	out, _ := hexDecode(h.Hex)
	return out
}

func hexDecode(s string) ([]byte, error) {
	out := make([]byte, len(s)/2)
	for i := range out {
		n, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, err
		}
		out[i] = byte(n)
	}
	return out, nil
}

// TestSparseEntriesAreRefused is issue 15 item 5: a small archive whose
// PAX sparse entry declares 4 GiB must not expand to 4 GiB on disk.
func TestSparseEntriesAreRefused(t *testing.T) {
	f := newFixture(t)
	pristine := readTar(t, archiveOf(t, f, ArchiveOptions{Prefixes: []string{f.dst.Host}}))
	// PAX sparse (format 1.0): the sparse map "1 entry at 0 of length 0"
	// padded to a block, expanding to 4 GiB of holes.
	sparseMap := make([]byte, 512)
	copy(sparseMap, "1\n0\n0\n")
	// The PAX header is written as a regular entry, then its type flag is
	// turned to 'x': Go's tar writer does not write sparse records.
	name := blobDir + strings.Repeat("0", 64)
	records := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", strconv.Itoa(4<<30))
	pax := append([]tarEntry(nil), pristine[:3]...)
	pax = append(pax,
		tarEntry{&tar.Header{Name: "paxheader", Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}, []byte(records)},
		tarEntry{&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatUSTAR}, sparseMap})
	paxPath := filepath.Join(t.TempDir(), "pax.tar")
	writeTar(t, paxPath, pax)
	patchTypeflag(t, paxPath, 3, tar.TypeXHeader)

	// Old GNU sparse: a regular header with its type flag turned to 'S'.
	gnuPath := filepath.Join(t.TempDir(), "gnu.tar")
	writeTar(t, gnuPath, append(append([]tarEntry(nil), pristine[:3]...), tarEntry{&tar.Header{Name: blobDir + strings.Repeat("1", 64), Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatGNU}, []byte("x")}))
	patchTypeflag(t, gnuPath, 3, tar.TypeGNUSparse)

	for _, p := range []string{paxPath, gnuPath} {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		_, err := OpenArchive(context.Background(), p)
		if err == nil || !(strings.Contains(err.Error(), "sparse") || strings.Contains(err.Error(), "not a tar archive")) {
			t.Errorf("%s: %v, want a refusal", filepath.Base(p), err)
		}
		if n := diskUsage(t, tmp); n > 1<<20 {
			t.Errorf("%s: %d bytes written to $TMPDIR", filepath.Base(p), n)
		}
	}
}

// paxRecord formats one PAX record: "LEN key=value\n", LEN counting itself.
func paxRecord(k, v string) string {
	body := " " + k + "=" + v + "\n"
	n := len(body) + 1
	for len(strconv.Itoa(n))+len(body) != n {
		n++
	}
	return strconv.Itoa(n) + body
}

// patchTypeflag changes the type flag of the n-th header of a tar whose
// entries before it are listed, fixing the header checksum.
func patchTypeflag(t *testing.T, p string, n int, flag byte) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	off := 0
	for i := 0; ; i++ {
		hdr := data[off : off+512]
		size, _ := strconv.ParseInt(strings.Trim(string(hdr[124:136]), "\x00 "), 8, 64)
		if hdr[156] == 'x' { // a PAX header block: skip it and its records
			off += 512 + int((size+511)/512*512)
			i--
			continue
		}
		if i == n {
			hdr[156] = flag
			copy(hdr[148:156], "        ")
			sum := 0
			for _, b := range hdr {
				sum += int(b)
			}
			copy(hdr[148:156], fmt.Sprintf("%06o\x00 ", sum))
			break
		}
		off += 512 + int((size+511)/512*512)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func diskUsage(t testing.TB, dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// TestHugeIndexIsRefused is issue 15 item 6: an index.json with more
// entries than allowed is refused before it is parsed into memory whole,
// and one larger than the byte limit before it is read.
func TestHugeIndexIsRefused(t *testing.T) {
	f := newFixture(t)
	pristine := readTar(t, archiveOf(t, f, ArchiveOptions{Prefixes: []string{f.dst.Host}}))
	var idx v1.IndexManifest
	var mi, ii int
	for i, e := range pristine {
		switch e.hdr.Name {
		case indexFile:
			ii = i
			if err := json.Unmarshal(e.data, &idx); err != nil {
				t.Fatal(err)
			}
		case manifestFile:
			mi = i
		}
	}
	many := idx
	for len(many.Manifests) <= maxEntries {
		many.Manifests = append(many.Manifests, idx.Manifests[0])
	}
	raw, _ := json.Marshal(many)
	// Re-seal the manifest so only the entry count is wrong.
	var m archiveManifest
	json.Unmarshal(pristine[mi].data, &m)
	h, n, _ := v1.SHA256(bytes.NewReader(raw))
	m.Index = blobRef{Digest: h.String(), Size: n}
	pristine[mi].data, _ = json.Marshal(m)
	pristine[ii].data = raw
	p := filepath.Join(t.TempDir(), "huge.tar")
	writeTar(t, p, pristine)
	if _, err := OpenArchive(context.Background(), p); err == nil || !strings.Contains(err.Error(), "more than the 20000 allowed") {
		t.Errorf("an index of %d entries: %v", len(many.Manifests), err)
	}
	pristine[ii].data = bytes.Repeat([]byte(" "), maxIndexBytes+1)
	writeTar(t, p, pristine)
	if _, err := OpenArchive(context.Background(), p); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Errorf("an index of %d bytes: %v", maxIndexBytes+1, err)
	}
}

// TestPushStopsWhenInterrupted: once the run is cancelled no further image
// is started; the ones not started fail with the cancellation at once.
func TestPushStopsWhenInterrupted(t *testing.T) {
	f := newMemoryFixture(t)
	bundle := archiveOf(t, f, ArchiveOptions{Prefixes: []string{f.dst.Host}})
	a, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var puts atomic.Int32
	f.dst.Fault = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			puts.Add(1)
			cancel() // Ctrl-C while the first image is being written
		}
		return false
	}
	// One manifest at a time (an index's platforms go LayerJobs at once,
	// and those already sent are not called back), so that what was
	// written after the interruption can be counted.
	r := newClient(t, Options{Jobs: 1, LayerJobs: 1}).Push(ctx, a, a.Entries)
	if r.OK() {
		t.Fatal("an interrupted push reported success")
	}
	cancelled := 0
	for _, res := range r.Results {
		if errors.Is(res.Err, context.Canceled) {
			cancelled++
		}
	}
	if cancelled < len(a.Entries)-1 {
		t.Errorf("%d of %d images failed with the cancellation: %v", cancelled, len(a.Entries), outcomes(r))
	}
	if got := puts.Load(); got > 2 {
		t.Errorf("%d manifests written after the interruption", got)
	}
}

func TestCheckDestinations(t *testing.T) {
	entry := func(dst string) Entry { return Entry{Item: item("quay.io/x/a:1", dst)} }
	prefixes := []string{"registry.internal/mirror", "registry.internal:5000"}
	tests := []struct {
		dst, want string
	}{
		{"registry.internal/mirror/x/a:1", ""},
		{"registry.internal/mirror:1", ""},
		{"registry.internal:5000/any/a:1", ""},
		{"registry.internal/kube-system/pause:3.9", "is not under"},
		{"registry.internal/mirror-evil/a:1", "is not under"},
		{"registry.internal/mirror/../../etc", "invalid image reference"},
		{"../../etc", "invalid image reference"},
		{"evil.example/mirror/a:1", "is not under"},
	}
	for _, tt := range tests {
		err := CheckDestinations([]Entry{entry(tt.dst)}, prefixes)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.dst, err, tt.want)
		}
	}
	if err := CheckDestinations([]Entry{entry("registry.internal/mirror/a:1")}, nil); err == nil || !strings.Contains(err.Error(), "no mirror prefixes") {
		t.Errorf("no prefixes: %v", err)
	}
}

func TestSplitVolumesRoundTrip(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.tar")
	c := newClient(t, Options{})
	r, err := c.ToArchive(context.Background(), f.items, bundle, ArchiveOptions{Prefixes: []string{f.dst.Host}, SplitSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	vols, _ := filepath.Glob(bundle + ".*")
	if len(vols) < 3 {
		t.Fatalf("volumes %v, want several of 4096 bytes", vols)
	}
	if _, err := os.Stat(bundle); err == nil {
		t.Error("a split archive also wrote the single file")
	}
	for _, name := range []string{bundle, bundle + ".001"} {
		a, err := OpenArchive(context.Background(), name)
		if err != nil {
			t.Fatalf("reading %s: %v", filepath.Base(name), err)
		}
		if len(a.Entries) != len(f.items) {
			t.Errorf("%s: %d entries", name, len(a.Entries))
		}
		requireOK(t, c.Push(context.Background(), a, a.Entries))
		a.Close()
	}
	f.assertMirrored(t)
	// A missing middle volume is refused.
	data, _ := os.ReadFile(bundle + ".002")
	os.Remove(bundle + ".002")
	if _, err := OpenArchive(context.Background(), bundle); err == nil {
		t.Error("an archive missing volume 2 was read")
	}
	os.WriteFile(bundle+".002", data, 0o644)
	// Re-written as one file: the volumes go.
	if _, err := c.ToArchive(context.Background(), f.items, bundle, ArchiveOptions{Prefixes: []string{f.dst.Host}}); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(bundle + ".*"); len(left) > 0 {
		t.Errorf("stale volumes left: %v", left)
	}
}

// TestInterruptedArchiveResumes is issue 11's "interrupted --to-archive
// leaves a partial archive under its final name": nothing appears under the
// final name until the archive is complete, and the next run resumes.
func TestInterruptedArchiveResumes(t *testing.T) {
	f := newMemoryFixture(t)
	dir := t.TempDir()
	bundle := filepath.Join(dir, "bundle.tar")
	ctx, cancel := context.WithCancel(context.Background())
	var blobGets atomic.Int32
	f.src.Fault = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && blobGets.Add(1) == 3 {
			cancel()
		}
		return false
	}
	c := newClient(t, Options{Jobs: 1})
	if _, err := c.ToArchive(ctx, f.items, bundle, ArchiveOptions{Prefixes: []string{f.dst.Host}}); err == nil {
		t.Fatal("the interrupted run succeeded")
	}
	if _, err := os.Stat(bundle); err == nil {
		t.Fatal("an interrupted run left a file under the final name")
	}
	staging := filepath.Join(dir, ".bundle.tar.partial")
	if _, err := os.Stat(staging); err != nil {
		t.Fatalf("no staging directory to resume from: %v", err)
	}
	f.src.Fault = nil
	// What a fresh archive downloads, to compare the resumed run with.
	f.src.Requests()
	if _, err := c.ToArchive(context.Background(), f.items, filepath.Join(t.TempDir(), "fresh.tar"), ArchiveOptions{Prefixes: []string{f.dst.Host}}); err != nil {
		t.Fatal(err)
	}
	fresh := len(registrytest.BlobGets(f.src.Requests()))
	r, err := c.ToArchive(context.Background(), f.items, bundle, ArchiveOptions{Prefixes: []string{f.dst.Host}})
	if err != nil {
		t.Fatal(err)
	}
	requireOK(t, r)
	if resumed := len(registrytest.BlobGets(f.src.Requests())); resumed >= fresh {
		t.Errorf("the resumed run downloaded %d blobs, a fresh one %d: nothing was resumed", resumed, fresh)
	}
	if _, err := os.Stat(staging); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the staging directory was kept after success: %v", err)
	}
	a, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if len(a.Entries) != len(f.items) {
		t.Errorf("%d entries after resuming", len(a.Entries))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
