//go:build benchmirror

package mirror

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// row is one line of the results table.
type row struct {
	what, tool string
	m          measure
	note       string
}

// TestBenchMirror is make bench-mirror. BENCH_MIRROR_SCALE scales every
// layer (1 = 40 images, about 1.5 GB); BENCH_MIRROR_JOBS is how many peer
// processes run at once (helm-airgap's default --jobs is 4 too).
func TestBenchMirror(t *testing.T) {
	scale := envFloat(t, "BENCH_MIRROR_SCALE", 1)
	b := newBench(t, int(envFloat(t, "BENCH_MIRROR_JOBS", 4)))
	src := registrytest.NewDistribution(t)
	b.regs = append(b.regs, src)
	registrytest.DockerConfig(t, b.dockerDir, src)
	plan := makePlan(scale)
	start := time.Now()
	refs := seed(t, src, plan)
	t.Logf("seeded %d images, %.1f MB of blobs, in %s", len(refs), mb(du(src.Storage)), time.Since(start).Round(time.Second))
	b.write("rendered.yaml", manifests(refs))

	var rows []row
	kept, r2r := b.registryToRegistry(src, refs)
	rows = append(rows, r2r...)
	rows = append(rows, b.archives(src, refs)...)
	files := blobFiles(src.Storage)
	rows = append(rows, row{"floor", "cat blobs > file", b.catFloor(files), fmt.Sprintf("%d blob files of the source", len(files))})
	rows = append(rows, row{"floor", "blobs -> loopback TCP -> file", b.socketFloor(files), "one stream, in-process"})
	floorDst := b.newDst()
	rows = append(rows, row{"floor", "blobs GET -> PUT, registry to registry", b.registryFloor(t, src, floorDst),
		fmt.Sprintf("each layer and config blob once, %d streams, in-process: the two registries' own cost (TLS, password, hash, disk), no manifests", b.jobs)})

	srcBytes := du(src.Storage)
	upd, fresh := changed(plan)
	seed(t, src, upd)
	update := b.update(src, kept, fresh)
	for _, r := range rows {
		if r.m.err != nil {
			t.Errorf("%s %s: %v", r.what, r.tool, r.m.err)
		}
	}
	b.report(scale, len(refs), srcBytes, rows, update)
}

func newBench(t *testing.T, jobs int) *bench {
	b := &bench{t: t, jobs: jobs, work: t.TempDir()}
	b.helm = testtool.Command(t, "helm-airgap")
	testtool.Command(t, "helm-airgap-registry") // beside it, as make build puts it
	b.crane, b.regctl = testtool.Tool(t, testtool.Crane), testtool.Tool(t, testtool.Regctl)
	b.dockerDir = filepath.Join(b.work, "docker")
	home := filepath.Join(b.work, "home")
	os.MkdirAll(home, 0o755)
	b.env = append(os.Environ(), "DOCKER_CONFIG="+b.dockerDir, "SSL_CERT_FILE="+registrytest.CAFile(t),
		"HOME="+home, "HELM_AIRGAP_CONFIG=", "NO_COLOR=1")
	return b
}

func (b *bench) write(name, content string) string {
	p := filepath.Join(b.work, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// config sends the source's bench/ to dst's mirror/bench/.
func (b *bench) config(src, dst *registrytest.Registry) string {
	return b.write("airgap.yaml", fmt.Sprintf("rules:\n  - from: %s/bench\n    to: %s/mirror/bench\n", src.Host, dst.Host))
}

func dstRef(src, dst *registrytest.Registry, ref string) string {
	return dst.Host + "/mirror" + strings.TrimPrefix(ref, src.Host)
}

// registryToRegistry copies the plan into a fresh registry with each tool;
// it returns helm-airgap's destination, which the update run inventories.
func (b *bench) registryToRegistry(src *registrytest.Registry, refs []string) (*registrytest.Registry, []row) {
	var rows []row
	kept := b.newDst()
	m := b.run(1, []string{b.helm, "mirror", "-c", b.config(src, kept), "rendered.yaml"})
	m.bytes = du(kept.Storage)
	rows = append(rows, row{"registry -> registry", "helm-airgap mirror", m, "one process, default --jobs 4; signature travels"})
	// Memory with plan size: the same copy of half the plan.
	half := b.newDst()
	b.write("half.yaml", manifests(refs[:len(refs)/2]))
	m = b.run(1, []string{b.helm, "mirror", "-c", b.config(src, half), "half.yaml"})
	m.bytes = du(half.Storage)
	rows = append(rows, row{"registry -> registry", "helm-airgap mirror, half the images", m, "for memory against plan size"})
	for _, peer := range []struct {
		name string
		argv func(from, to string) []string
	}{
		{"crane copy", func(from, to string) []string { return []string{b.crane, "copy", from, to} }},
		{"regctl image copy", func(from, to string) []string { return []string{b.regctl, "image", "copy", from, to} }},
	} {
		dst := b.newDst()
		var cmds [][]string
		for _, ref := range refs {
			cmds = append(cmds, peer.argv(ref, dstRef(src, dst, ref)))
		}
		m := b.run(b.jobs, cmds...)
		m.bytes = du(dst.Storage)
		rows = append(rows, row{"registry -> registry", peer.name, m, fmt.Sprintf("one process per image, %d at a time", b.jobs)})
	}
	return kept, rows
}

// archives writes the plan to files and pushes them into a fresh registry.
func (b *bench) archives(src *registrytest.Registry, refs []string) []row {
	var rows []row
	dst := b.newDst()
	bundle := filepath.Join(b.work, "bundle.tar")
	m := b.run(1, []string{b.helm, "mirror", "-c", b.config(src, dst), "--to-archive", bundle, "rendered.yaml"})
	m.bytes = du(bundle)
	rows = append(rows, row{"registry -> archive", "helm-airgap mirror --to-archive", m, "one tar"})
	m = b.run(1, []string{b.helm, "mirror", "-c", b.config(src, dst), "--from-archive", bundle}) // the config says where (an archive does not)
	m.bytes = du(dst.Storage)
	rows = append(rows, row{"archive -> registry", "helm-airgap mirror --from-archive", m, "checks every blob's digest first"})
	os.Remove(bundle)

	dst = b.newDst()
	var out, in [][]string
	for i, ref := range refs {
		tarball := filepath.Join(b.work, fmt.Sprintf("regctl-%02d.tar", i))
		out = append(out, []string{b.regctl, "image", "export", ref, tarball})
		in = append(in, []string{b.regctl, "image", "import", dstRef(src, dst, ref), tarball})
	}
	rows = append(rows, b.sized("registry -> archive", "regctl image export", b.run(b.jobs, out...), "regctl-*.tar", "one tar per image"))
	m = b.run(b.jobs, in...)
	m.bytes = du(dst.Storage)
	rows = append(rows, row{"archive -> registry", "regctl image import", m, "one tar per image"})
	b.removeGlob("regctl-*.tar")

	dst = b.newDst()
	out, in = nil, nil
	for i, ref := range refs {
		layout := filepath.Join(b.work, fmt.Sprintf("crane-%02d", i))
		out = append(out, []string{b.crane, "pull", "--format=oci", ref, layout})
		push := []string{b.crane, "push", layout, dstRef(src, dst, ref)}
		if i == 0 { // the multi-platform index
			push = append(push, "--index")
		}
		in = append(in, push)
	}
	rows = append(rows, b.sized("registry -> archive", "crane pull --format=oci", b.run(b.jobs, out...), "crane-*", "one OCI layout per image"))
	m = b.run(b.jobs, in...)
	m.bytes = du(dst.Storage)
	rows = append(rows, row{"archive -> registry", "crane push", m, "one OCI layout per image"})
	b.removeGlob("crane-*")
	return rows
}

func (b *bench) sized(what, tool string, m measure, glob, note string) row {
	matches, _ := filepath.Glob(filepath.Join(b.work, glob))
	for _, p := range matches {
		m.bytes += du(p)
	}
	return row{what, tool, m, note}
}

func (b *bench) removeGlob(glob string) {
	matches, _ := filepath.Glob(filepath.Join(b.work, glob))
	for _, p := range matches {
		os.RemoveAll(p)
	}
}

// updateResult is the update plan's archive sizes.
type updateResult struct {
	full, changedLayers int64
	diff                measure
	diffNote            string
}

// update archives the plan with 4 images changed: in full, and (when this
// build has mirror --have) against an inventory of kept, which holds the
// first plan.
func (b *bench) update(src, kept *registrytest.Registry, fresh []layerSpec) updateResult {
	res := updateResult{changedLayers: total(fresh)}
	cfg := b.config(src, kept)
	full := filepath.Join(b.work, "update-full.tar")
	if m := b.run(1, []string{b.helm, "mirror", "-c", cfg, "--to-archive", full, "rendered.yaml"}); m.err != nil {
		b.t.Errorf("update, full archive: %v", m.err)
	}
	res.full = du(full)
	help, _ := exec.Command(b.helm, "mirror", "--help").CombinedOutput()
	if !strings.Contains(string(help), "--have") {
		res.diffNote = "not run: this build's mirror has no --have (differential archives, issue 21 item 1, not merged yet)"
		return res
	}
	inv := exec.Command(b.helm, "inventory", "-c", cfg, "rendered.yaml")
	inv.Env, inv.Dir = b.env, b.work
	have, err := inv.Output()
	if err != nil {
		res.diffNote = fmt.Sprintf("not run: helm-airgap inventory -c airgap.yaml rendered.yaml failed: %v", err)
		return res
	}
	b.write("have.json", string(have))
	diff := filepath.Join(b.work, "update-diff.tar")
	res.diff = b.run(1, []string{b.helm, "mirror", "-c", cfg, "--to-archive", diff, "--have", "have.json", "rendered.yaml"})
	res.diff.bytes = du(diff)
	return res
}

func envFloat(t *testing.T, name string, def float64) float64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return f
}

func mb(n int64) float64 { return float64(n) / 1e6 }
