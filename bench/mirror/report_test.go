//go:build benchmirror

package mirror

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

const (
	beginMark = "<!-- bench-mirror: begin (written by make bench-mirror; the rest of this file is make bench's) -->"
	endMark   = "<!-- bench-mirror: end -->"
)

// report writes the section of bench/RESULTS.md between the marks,
// appending it the first time and keeping everything else.
func (b *bench) report(scale float64, images int, srcBytes int64, rows []row, u updateResult) {
	var s strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&s, "%s\n## Mirror benchmark (make bench-mirror)\n\n", beginMark)
	fmt.Fprintf(&s, "Run %s: `BENCH_MIRROR_SCALE=%g make bench-mirror`, %d images (one a two-platform index, one cosign signature), %.1f MB in the source registry; "+
		"%d cores, load average at the end %s. Registries: distribution v3.1.2 (tools/registry) on loopback, TLS and htpasswd, filesystem storage on the same disk as the archives. "+
		"Peers: crane and regctl from bench/peers/go.mod, one process per image, %d at a time. "+
		"Bytes = what the run left on disk (destination registry storage, or the archive files); RSS = the largest peak resident set of one process.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), scale, images, mb(srcBytes), runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "), b.jobs)
	s.WriteString("| run | tool | wall s | MB written | MB/s | peak RSS MB | note |\n|---|---|---:|---:|---:|---:|---|\n")
	for _, r := range rows {
		status := ""
		if r.m.err != nil {
			status = " FAILED: " + firstLine(r.m.err.Error())
		}
		rss := "–"
		if r.m.rssKB > 0 {
			rss = fmt.Sprintf("%.0f", float64(r.m.rssKB)/1024)
		}
		note := r.note
		if r.m.blobs != "" {
			note += "; blobs " + r.m.blobs
		}
		fmt.Fprintf(&s, "| %s | %s | %.2f | %.1f | %.0f | %s | %s%s |\n", r.what, r.tool, r.m.wall.Seconds(), mb(r.m.bytes),
			mb(r.m.bytes)/r.m.wall.Seconds(), rss, note, status)
	}
	s.WriteString("\n" + ratios(rows) + "\n")
	fmt.Fprintf(&s, "Update plan (4 of the %d images with a new build of their largest own layer, the rest as before): changed layers %.1f MB; full update archive %.1f MB; ", images, mb(u.changedLayers), mb(u.full))
	if u.diffNote != "" {
		fmt.Fprintf(&s, "differential archive %s.\n", u.diffNote)
	} else {
		fmt.Fprintf(&s, "differential archive (`--have` an inventory of the registry holding the first plan) %.1f MB in %.2f s, %.2f%% over the changed layers (blobs %s).\n",
			mb(u.diff.bytes), u.diff.wall.Seconds(), 100*(float64(u.diff.bytes)/float64(u.changedLayers)-1), u.diff.blobs)
	}
	s.WriteString(endMark + "\n")
	path := filepath.Join(testtool.ModuleRoot(b.t), "bench", "RESULTS.md")
	old, _ := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(splice(string(old), s.String())), 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("\n%s", s.String())
}

// splice puts section in place of the marked one in doc, or at its end.
func splice(doc, section string) string {
	i, j := strings.Index(doc, beginMark), strings.Index(doc, endMark)
	if i >= 0 && j > i {
		return doc[:i] + section + doc[j+len(endMark)+1:]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n\n") {
		doc = strings.TrimRight(doc, "\n") + "\n\n"
	}
	return doc + section
}

// ratios compares helm-airgap registry-to-registry with the fastest peer,
// the loopback floor and the registry floor.
func ratios(rows []row) string {
	var ours, peer, floor, regFloor float64
	for _, r := range rows {
		w := r.m.wall.Seconds()
		switch {
		case r.m.err != nil:
		case strings.HasPrefix(r.tool, "helm-airgap mirror,"):
		case r.what == "registry -> registry" && strings.HasPrefix(r.tool, "helm-airgap"):
			ours = w
		case r.what == "registry -> registry" && (peer == 0 || w < peer):
			peer = w
		case strings.HasPrefix(r.tool, "blobs -> loopback"):
			floor = w
		case strings.HasPrefix(r.tool, "blobs GET -> PUT"):
			regFloor = w
		}
	}
	if ours == 0 || peer == 0 || floor == 0 || regFloor == 0 {
		return "Ratios: not computed (a run failed)."
	}
	return fmt.Sprintf("Registry to registry: helm-airgap %.2fx the fastest peer's wall time, %.2fx the loopback floor's, %.2fx the registry floor's (the registry floor is %.2fx the loopback floor's).\n",
		ours/peer, ours/floor, ours/regFloor, regFloor/floor)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
