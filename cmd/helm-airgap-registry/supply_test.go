package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/lock"
)

// supply is a source registry (with the referrers API) holding a
// two-platform index signed with cosign whose arm64 manifest has an SBOM
// (an OCI 1.1 referrer), and a digest-pinned image; manifests using both;
// a config sending them to the destination (no referrers API: the tag
// fallback is used there).
type supply struct {
	*cliRun
	src, dst          *registrytest.Registry
	config, manifests string
	index             v1.Hash
	children          []v1.Hash
	sbom, pinned      v1.Hash
}

// newSupply has a source with the OCI referrers API (in-memory: the
// distribution registry has none) and a distribution registry inside, so
// referrers land there through the tag fallback.
func newSupply(t *testing.T) *supply {
	t.Helper()
	c := newCLI(t)
	return seedSupply(t, c, registrytest.NewDistribution(t))
}

// newMemorySupply is newSupply with an in-memory destination, for tests
// that hold or fail its requests (Fault).
func newMemorySupply(t *testing.T) *supply {
	t.Helper()
	return seedSupply(t, newCLI(t), registrytest.New(t))
}

func seedSupply(t *testing.T, c *cliRun, dst *registrytest.Registry) *supply {
	t.Helper()
	s := &supply{cliRun: c, src: registrytest.New(t, registrytest.WithReferrersAPI()), dst: dst}
	registrytest.DockerConfig(t, filepath.Join(s.dir, "docker"), s.src, s.dst)
	s.index, s.children = s.src.PushPlatformIndex(t, "team/web:2.0", "linux/amd64", "linux/arm64")
	s.src.PushCosignSignature(t, "team/web", s.index)
	s.sbom = s.src.PushReferrer(t, "team/web", s.children[1], "application/spdx+json")
	s.pinned = s.src.PushImage(t, "team/migrate:3.0")
	s.src.PushCosignSignature(t, "team/migrate", s.pinned)
	s.config = s.write("airgap.yaml", fmt.Sprintf("rules:\n  - from: %s/team\n    to: %s/mirror/team\n", s.src.Host, s.dst.Host))
	s.manifests = s.write("rendered.yaml", fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: web, namespace: demo}
spec:
  containers:
    - {name: web, image: %[1]s/team/web:2.0}
    - {name: migrate, image: "%[1]s/team/migrate:3.0@%[2]s"}
`, s.src.Host, s.pinned))
	return s
}

func (s *supply) readLock(t *testing.T, name string) *lock.File {
	t.Helper()
	f, err := lock.Read(filepath.Join(s.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSupplyChainAcrossTheGap(t *testing.T) {
	s := newSupply(t)
	// Outside: archive in 1 MiB volumes, with a lock.
	s.expect(0, "archived to bundle.tar 2 image(s): 2 copied, 0 already present, 0 failed; 3 referrer(s) (signatures, attestations, SBOMs): 3 copied", "mirror", "-c", s.config, "--to-archive", "bundle.tar", "--split-size", "1MiB", "--lock", "outside.lock", s.manifests)
	if _, err := os.Stat(filepath.Join(s.dir, "bundle.tar.001")); err != nil {
		t.Errorf("no first volume: %v", err)
	}
	outside := s.readLock(t, "outside.lock")
	web, ok := outside.Lookup(s.src.Ref("team/web:2.0"))
	if !ok || web.Digest != s.index.String() || len(web.Platforms) != 2 || len(web.Referrers) != 2 {
		t.Errorf("lock entry for the index: %+v", web)
	}

	// Inside: no config but the prefix to push under; the destinations are shown, then pushed with their
	// referrers; a lock written inside agrees with the outside's.
	s.dst.Requests()
	_, stderr := s.must(0, "", "mirror", "--from-archive", "bundle.tar", "--push-under", s.dst.Host+"/mirror/team", "--lock", "inside.lock")
	for _, want := range []string{
		"pushing 2 archived image(s) under " + s.dst.Host + "/mirror/team:",
		"  " + s.src.Ref("team/web:2.0") + " -> " + s.dst.Ref("mirror/team/web:2.0"),
		"2 copied, 0 already present, 0 failed; 3 referrer(s) (signatures, attestations, SBOMs): 3 copied",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("push lacks %q:\n%s", want, stderr)
		}
	}
	if shown, pushed := strings.Index(stderr, " -> "), strings.Index(stderr, "pushed "); shown < 0 || pushed < shown {
		t.Errorf("destinations not shown before pushing:\n%s", stderr)
	}
	inside := s.readLock(t, "inside.lock")
	for _, e := range outside.Images {
		in, ok := inside.LookupExact(e.Source)
		if !ok || in.Digest != e.Digest || fmt.Sprint(in.Referrers) != fmt.Sprint(e.Referrers) {
			t.Errorf("%s: inside lock %+v, outside %+v", e.Source, in, e)
		}
	}
	if got := s.dst.Digest(t, s.dst.Ref("mirror/team/web@"+s.sbom.String())); got != s.sbom {
		t.Errorf("SBOM at the destination: %s", got)
	}

	// Verify: from the archive and from the lock, strictly.
	s.must(0, "", "verify", "--strict", "--from-archive", "bundle.tar.001")
	s.must(0, "", "verify", "-c", s.config, "--lock", "outside.lock", s.manifests)

	// The SBOM deleted at the destination: both fail, naming it.
	s.dst.Delete(t, "mirror/team/web@"+s.sbom.String())
	s.expect(1, "missing referrers: "+s.dst.Ref("mirror/team/web:2.0")+" lacks "+s.sbom.String(), "verify", "-c", s.config, "--lock", "outside.lock", s.manifests)
	s.must(1, "", "verify", "--strict", "--from-archive", "bundle.tar")
	// Non-strict verify does not look at referrers.
	s.must(0, "", "verify", "-c", s.config, s.manifests)

	// A lock missing an image fails verify, naming it.
	partial := &lock.File{Version: lock.Version}
	partial.Put(web)
	if err := partial.Write(filepath.Join(s.dir, "partial.lock")); err != nil {
		t.Fatal(err)
	}
	s.expect(1, "not in the lock partial.lock: "+s.src.Ref("team/migrate:3.0@"+s.pinned.String()), "verify", "-c", s.config, "--lock", "partial.lock", s.manifests)
}

func TestMirrorPlatformsAndNoReferrers(t *testing.T) {
	s := newSupply(t)
	s.expect(0, "0 referrer(s)", "mirror", "-c", s.config, "--platform", "linux/amd64", "--no-referrers", "--lock", "amd64.lock", s.manifests)
	f := s.readLock(t, "amd64.lock")
	web, _ := f.Lookup(s.src.Ref("team/web:2.0"))
	if web.Digest != s.index.String() || web.FilteredDigest == "" || len(web.Platforms) != 1 || web.Platforms[0].Platform != "linux/amd64" {
		t.Errorf("lock of the filtered index: %+v", web)
	}
	if got := s.dst.Digest(t, s.dst.Ref("mirror/team/web:2.0")).String(); got != web.FilteredDigest {
		t.Errorf("destination holds %s, the lock says %s", got, web.FilteredDigest)
	}
	// The digest-pinned image is copied as pinned.
	migrate, _ := f.Lookup(s.src.Ref("team/migrate:3.0@" + s.pinned.String()))
	if migrate.PinnedDigest() != s.pinned.String() {
		t.Errorf("pinned entry: %+v", migrate)
	}
	// verify accepts the filtered index the lock records; plain --strict
	// (no lock) has no digest to hold the tag to and passes too.
	s.must(0, "", "verify", "-c", s.config, "--lock", "amd64.lock", "--no-referrers", s.manifests)
	s.expect(2, `invalid platform "linux"`, "mirror", "-c", s.config, "--platform", "linux", s.manifests)
}

// TestArchiveDestinationsStayUnderTheMirror is issue 15 item 7: an archive
// (re-sealed so it passes the integrity check) that sends an image outside
// the prefixes recorded with it is refused before anything is pushed.
func TestArchiveDestinationsStayUnderTheMirror(t *testing.T) {
	s := newSupply(t)
	layoutDir := filepath.Join(s.dir, "layout")
	if err := os.Mkdir(layoutDir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.must(0, "", "mirror", "-c", s.config, "--to-archive", layoutDir, s.manifests)
	for _, evil := range []string{s.dst.Ref("kube-system/pause:3.9"), "../../etc"} {
		reseal(t, layoutDir, s.dst.Ref("mirror/team/web:2.0"), evil)
		s.dst.Requests()
		_, stderr := s.must(1, "", "mirror", "--from-archive", layoutDir, "--push-under", s.dst.Host+"/mirror")
		if !strings.Contains(stderr, "refusing to push 1 archived image(s) outside the mirror") || !strings.Contains(stderr, evil) {
			t.Errorf("%s: %s", evil, stderr)
		}
		if w := registrytest.Writes(s.dst.Requests()); len(w) > 0 {
			t.Errorf("%s: pushed %v", evil, w)
		}
		reseal(t, layoutDir, evil, s.dst.Ref("mirror/team/web:2.0"))
	}
	// Issue 23 item 5: an archive edited to send an image elsewhere and to
	// record a prefix that covers it cannot redirect the push: the prefixes
	// come from the user, never from the archive alone.
	evil := s.dst.Ref("kube-system/pause:3.9")
	reseal(t, layoutDir, s.dst.Ref("mirror/team/web:2.0"), evil)
	setPrefixes(t, layoutDir, s.dst.Host)
	s.dst.Requests()
	s.expect(2, "an archive does not choose where it is pushed", "mirror", "--from-archive", layoutDir)
	s.expect(1, "destination "+evil+" is not under "+s.dst.Host+"/mirror", "mirror", "--from-archive", layoutDir, "--push-under", s.dst.Host+"/mirror")
	s.expect(2, "--push-under is for pushing without a config", "mirror", "--from-archive", layoutDir, "-c", s.config, "--push-under", s.dst.Host)
	// With the config, the destination is recomputed: the edit is moot.
	s.must(0, "", "mirror", "--from-archive", layoutDir, "-c", s.config)
	if w := registrytest.Writes(s.dst.Requests()); strings.Contains(strings.Join(w, "\n"), "kube-system") {
		t.Errorf("an edited archive redirected the push: %v", w)
	}
	reseal(t, layoutDir, evil, s.dst.Ref("mirror/team/web:2.0"))
	setPrefixes(t, layoutDir, s.dst.Host+"/mirror/team")

	// Unaltered, it is pushed; the integrity check caught nothing above
	// because the archive was re-sealed, the prefix check did.
	s.must(0, "", "mirror", "--from-archive", layoutDir, "--push-under", s.dst.Host+"/mirror")
	// Tampering without re-sealing is refused as an input error.
	idx := filepath.Join(layoutDir, "index.json")
	data, _ := os.ReadFile(idx)
	os.WriteFile(idx, []byte(strings.Replace(string(data), "mirror/team/web", "mirror/team/wex", 1)), 0o644)
	s.expect(2, "index.json was altered", "mirror", "--from-archive", layoutDir, "--push-under", s.dst.Host+"/mirror")
}

// setPrefixes rewrites the prefixes an archive records, as someone able
// to edit it would.
func setPrefixes(t *testing.T, dir string, prefixes ...string) {
	t.Helper()
	manPath := filepath.Join(dir, "helm-airgap-archive.json")
	var m map[string]any
	raw, _ := os.ReadFile(manPath)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["prefixes"] = prefixes
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(manPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// reseal replaces a destination in a layout's index.json and records the
// new index digest in the archive manifest, as an attacker able to edit
// both would.
func reseal(t *testing.T, dir, from, to string) {
	t.Helper()
	idxPath := filepath.Join(dir, "index.json")
	data, err := os.ReadFile(idxPath)
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.ReplaceAll(string(data), `"`+from+`"`, `"`+to+`"`))
	if err := os.WriteFile(idxPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	manPath := filepath.Join(dir, "helm-airgap-archive.json")
	var m map[string]any
	raw, _ := os.ReadFile(manPath)
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	m["index"] = map[string]any{"digest": "sha256:" + hex.EncodeToString(sum[:]), "size": len(data)}
	raw, _ = json.Marshal(m)
	if err := os.WriteFile(manPath, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyKeyChecksSignaturesOffline(t *testing.T) {
	s := newSupply(t)
	key := registrytest.NewSigningKey(t)
	for repo, digest := range map[string]v1.Hash{"team/web": s.index, "team/migrate": s.pinned} {
		payload, sig := key.Sign(t, digest)
		s.src.PushSignedPayload(t, repo, digest, payload, sig)
	}
	s.write("cosign.pub", string(key.PubPEM))
	s.write("other.pub", string(registrytest.NewSigningKey(t).PubPEM))
	s.must(0, "", "mirror", "-c", s.config, "--platform", "linux/arm64", "--lock", "arm64.lock", s.manifests)
	// The filtered index is accepted through the source index's signature,
	// which the lock names.
	s.expect(0, "checked 2 signature(s) offline: 2 valid, 0 missing or invalid", "verify", "-c", s.config, "--lock", "arm64.lock", "--key", "cosign.pub", s.manifests)
	s.expect(1, "not signed by other.pub: "+s.dst.Ref("mirror/team/migrate:3.0@"+s.pinned.String()), "verify", "-c", s.config, "--key", "other.pub", s.manifests)
	s.expect(2, "reading the public key", "verify", "-c", s.config, "--key", "airgap.yaml", s.manifests)
}

// TestDifferentialUpdateAcrossTheGap is issue 21 item 1 end to end: the
// inside's inventory, an archive carrying only what the inside lacks, the
// push that checks what the archive left out; and a registry lacking it
// refused before anything is written.
func TestDifferentialUpdateAcrossTheGap(t *testing.T) {
	s := newSupply(t)
	s.must(0, "", "mirror", "-c", s.config, s.manifests) // the first release is inside
	inventory, _ := s.must(0, "", "inventory", "-c", s.config, s.manifests)
	if !strings.Contains(inventory, `"repository": "`+s.dst.Host+`/mirror/team/web"`) || !strings.Contains(inventory, s.pinned.String()) {
		t.Fatalf("inventory:\n%s", inventory)
	}
	s.write("inside.json", inventory)
	s.must(0, "", "mirror", "-c", s.config, "--to-archive", "full.tar", s.manifests)
	s.must(0, "", "mirror", "-c", s.config, "--to-archive", "update.tar", "--have", "inside.json", "--split-size", "1MiB", s.manifests)
	full, _ := os.Stat(filepath.Join(s.dir, "full.tar"))
	update, _ := os.Stat(filepath.Join(s.dir, "update.tar.001"))
	if full == nil || update == nil || update.Size() >= full.Size() {
		t.Fatalf("full archive %v, update %v", full, update)
	}
	_, stderr := s.must(0, "", "mirror", "-c", s.config, "--from-archive", "update.tar")
	if !strings.Contains(stderr, "blob(s) the archive left out are in the registry") {
		t.Errorf("push of the update:\n%s", stderr)
	}
	// Another inside, empty: refused, every missing blob named, nothing written.
	other := registrytest.New(t)
	config := s.write("other.yaml", fmt.Sprintf("rules:\n  - from: %s/team\n    to: %s/mirror/team\n", s.src.Host, other.Host))
	_, stderr = s.must(1, "", "mirror", "-c", config, "--from-archive", "update.tar")
	if !strings.Contains(stderr, "missing sha256:") || !strings.Contains(stderr, "nothing was pushed") {
		t.Errorf("push to a registry lacking the assumed blobs:\n%s", stderr)
	}
	if w := registrytest.Writes(other.Requests()); len(w) > 0 {
		t.Errorf("wrote %v", w)
	}
	s.expect(2, "--have is for --to-archive", "mirror", "-c", s.config, "--have", "inside.json", s.manifests)
}

// TestInterruptExits130 is issue 15 item 6 and issue 11's Ctrl-C: SIGINT
// while pushing stops the run, exits 130 and says nothing was left
// half-written.
func TestInterruptExits130(t *testing.T) {
	s := newMemorySupply(t)
	s.must(0, "", "mirror", "-c", s.config, "--to-archive", "bundle.tar", s.manifests)
	hit, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.dst.Fault = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			once.Do(func() { close(hit) })
			<-release // hold the first write until the interrupt is sent
		}
		return false
	}
	cmd := s.command(s.bin, "mirror", "--from-archive", "bundle.tar", "--push-under", s.dst.Host, "--jobs", "1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-hit
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	close(release)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

// TestResolveWritesTheLockMirrorWrites: resolve (run on the companion
// binary directly) asks the sources and writes the lock that mirror then
// writes too, entry for entry; verify --lock accepts the mirror against it.
func TestResolveWritesTheLockMirrorWrites(t *testing.T) {
	s := newSupply(t)
	registry := testtool.Command(t, "helm-airgap-registry")
	cmd := s.command(registry, "resolve", "-c", s.config, "--lock", "resolved.lock", "--platform", "linux/arm64", s.manifests)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "locked 2 image(s) in resolved.lock") {
		t.Fatalf("resolve: %v\n%s", err, out)
	}
	if w := registrytest.Writes(s.dst.Requests()); len(w) > 0 {
		t.Errorf("resolve wrote to the destination: %v", w)
	}
	s.must(0, "", "mirror", "-c", s.config, "--platform", "linux/arm64", "--lock", "mirrored.lock", s.manifests)
	resolved, mirrored := s.readLock(t, "resolved.lock"), s.readLock(t, "mirrored.lock")
	for i := range resolved.Images {
		resolved.Images[i].Mirrored = mirrored.Images[i].Mirrored
	}
	if a, b := fmt.Sprintf("%+v", resolved.Images), fmt.Sprintf("%+v", mirrored.Images); a != b {
		t.Errorf("resolved:\n%s\nmirrored:\n%s", a, b)
	}
	s.must(0, "", "verify", "-c", s.config, "--lock", "resolved.lock", s.manifests)
	cmd = s.command(registry, "resolve", "-c", s.config, s.manifests)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "give --lock FILE") {
		t.Errorf("resolve without --lock: %v\n%s", err, out)
	}
}
