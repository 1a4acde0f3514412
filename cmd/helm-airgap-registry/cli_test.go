package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// These tests run the real binaries: helm-airgap (the fast one, which
// dispatches mirror and verify) and helm-airgap-registry beside it, against
// distribution registries (TLS with the test CA, given as SSL_CERT_FILE;
// htpasswd users, given in the Docker config) and, where a test injects
// faults or needs the OCI referrers API, in-memory ones.

type cliRun struct {
	t    *testing.T
	bin  string
	env  []string
	dir  string
	last string // stderr of the last run, for failure messages
}

func newCLI(t *testing.T) *cliRun {
	t.Helper()
	testtool.Command(t, "helm-airgap-registry") // beside helm-airgap, as make build puts it
	c := &cliRun{t: t, bin: testtool.Command(t, "helm-airgap"), dir: t.TempDir()}
	// No credentials or config from the machine running the tests.
	c.env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(c.dir, "docker"), "HELM_AIRGAP_CONFIG=", "SSL_CERT_FILE="+registrytest.CAFile(t))
	return c
}

// run returns stdout, stderr and the exit code.
func (c *cliRun) run(stdin string, args ...string) (string, string, int) {
	c.t.Helper()
	cmd := c.command(c.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		c.t.Fatalf("running %s: %v", c.bin, err)
	}
	c.last = stderr.String()
	return stdout.String(), stderr.String(), code
}

// command is bin with args, run in the test directory with the test
// environment.
func (c *cliRun) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	return cmd
}

// must runs and requires an exit code.
func (c *cliRun) must(code int, stdin string, args ...string) (string, string) {
	c.t.Helper()
	stdout, stderr, got := c.run(stdin, args...)
	if got != code {
		c.t.Fatalf("helm-airgap %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), got, code, stdout, stderr)
	}
	return stdout, stderr
}

// expect runs, requires an exit code and a line part on stderr, and
// returns stderr.
func (c *cliRun) expect(code int, want string, args ...string) string {
	c.t.Helper()
	_, stderr := c.must(code, "", args...)
	if !strings.Contains(stderr, want) {
		c.t.Errorf("helm-airgap %s: stderr lacks %q:\n%s", strings.Join(args, " "), want, stderr)
	}
	return stderr
}

func (c *cliRun) write(name, content string) string {
	c.t.Helper()
	path := filepath.Join(c.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return path
}

// workflow is a source registry with a single-arch image, a multi-arch
// index, a digest-pinned image and a chart, manifests that use the images
// (one only in container args, one in a hook Job), and a config sending
// everything from the source registry to the destination.
type workflow struct {
	*cliRun
	src, dst  *registrytest.Registry
	config    string
	manifests string
	digests   map[string]v1.Hash // destination (as the runtime pulls it) -> source digest
}

func newWorkflow(t *testing.T) *workflow {
	w := &workflow{cliRun: newCLI(t), src: registrytest.NewDistribution(t), dst: registrytest.NewDistribution(t), digests: map[string]v1.Hash{}}
	registrytest.DockerConfig(t, filepath.Join(w.dir, "docker"), w.src, w.dst)
	api := w.src.PushImage(t, "team/api:1.0")
	web := w.src.PushIndex(t, "team/web:2.0", 3)
	pinned := w.src.PushImage(t, "team/migrate:3.0")
	solver := w.src.PushImage(t, "team/solver:1.0")
	w.src.PushChart(t, "charts/platform:1.2.3")
	w.config = w.write("airgap.yaml", fmt.Sprintf("rules:\n  - from: %s/team\n    to: %s/mirror/team\n  - from: %s/charts\n    to: %s/charts\n", w.src.Host, w.dst.Host, w.src.Host, w.dst.Host))
	w.manifests = w.write("rendered.yaml", fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: demo}
spec:
  template:
    spec:
      containers:
        - name: api
          image: %[1]s/team/api:1.0
          args: ["--solver-image=%[1]s/team/solver:1.0"]
        - name: web
          image: %[1]s/team/web:2.0
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: demo
  annotations: {helm.sh/hook: pre-install}
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: %[1]s/team/migrate:3.0@%[2]s
`, w.src.Host, pinned))
	w.digests[w.dst.Ref("mirror/team/api:1.0")] = api
	w.digests[w.dst.Ref("mirror/team/web:2.0")] = web
	w.digests[w.dst.Ref("mirror/team/solver:1.0")] = solver
	w.digests[w.dst.Ref("mirror/team/migrate@"+pinned.String())] = pinned
	w.digests[w.dst.Ref("mirror/team/migrate:3.0")] = pinned
	return w
}

// assertMirrored compares every destination's digest with its source's.
func (w *workflow) assertMirrored(t *testing.T, reg *registrytest.Registry) {
	t.Helper()
	for ref, want := range w.digests {
		ref = reg.Host + strings.TrimPrefix(ref, w.dst.Host)
		if got := reg.Digest(t, ref); got != want {
			t.Errorf("%s: digest %s, want the source's %s", ref, got, want)
		}
	}
}

func TestImagesListsThePlan(t *testing.T) {
	w := newWorkflow(t)
	out, stderr := w.must(0, "", "images", "-c", w.config, w.manifests)
	want := fmt.Sprintf("%[1]s/team/api:1.0 %[2]s/mirror/team/api:1.0\n", w.src.Host, w.dst.Host)
	if !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 4 {
		t.Errorf("plain plan:\n%s", out)
	}
	if !strings.Contains(stderr, "4 image(s): 4 to copy, 0 already internal") {
		t.Errorf("summary: %s", stderr)
	}
	// The same plan from stdin, with --why naming the args reference.
	data, _ := os.ReadFile(w.manifests)
	out, _ = w.must(0, string(data), "images", "--why", "--config", w.config)
	if !strings.Contains(out, "#   Deployment demo/api: container api (spec.template.spec.containers[0].args[0])") {
		t.Errorf("--why lacks the args origin:\n%s", out)
	}
	script, _ := w.must(0, "", "images", "-c", w.config, "-o", "skopeo", w.manifests)
	if !strings.Contains(script, "skopeo copy --all --preserve-digests docker://"+w.src.Host+"/team/migrate@sha256:") {
		t.Errorf("skopeo script:\n%s", script)
	}
	_, stderr = w.must(2, "", "images", "-c", w.config, "-o", "yaml", w.manifests)
	if !strings.Contains(stderr, `unknown output format "yaml"`) {
		t.Errorf("bad format: %s", stderr)
	}
	_, stderr = w.must(2, "", "images", "-c", w.config, "--set", "x=y", w.manifests)
	if !strings.Contains(stderr, "unknown flag: --set") {
		t.Errorf("helm flag without a chart: %s", stderr)
	}
}

func TestImagesUnmappedIsAnErrorNamingIt(t *testing.T) {
	c := newCLI(t)
	cfg := c.write("airgap.yaml", "rules: [{from: quay.io, to: registry.internal.example.com/quay}]\n")
	manifest := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: demo}\nspec:\n  containers:\n    - {name: a, image: quay.io/x/a:1}\n    - {name: b, image: ghcr.io/x/b:1}\n"
	out, stderr := c.must(1, manifest, "images", "-c", cfg)
	if out != "" {
		t.Errorf("stdout on failure: %q", out)
	}
	if !strings.Contains(stderr, "Pod demo/p: container b (spec.containers[1].image): ghcr.io/x/b:1") || strings.Contains(stderr, "quay.io/x/a") {
		t.Errorf("the report must name the unmapped image only:\n%s", stderr)
	}
}

func TestImagesRendersAChart(t *testing.T) {
	c := newCLI(t)
	chart := filepath.Join(testtool.ModuleRoot(t), "testdata", "charts", "platform")
	cfg := filepath.Join(testtool.ModuleRoot(t), "testdata", "charts", "airgap.yaml")

	// A stand-in helm records what it is asked and prints a render.
	argsLog := filepath.Join(c.dir, "helm-args")
	fake := c.write("helm", "#!/bin/sh\nprintf '%s\\n' \"$@\" > "+argsLog+"\nprintf 'kind: Pod\\napiVersion: v1\\nmetadata: {name: p}\\nspec:\\n  containers:\\n    - {name: a, image: nginx:1.25}\\n'\n")
	if err := os.Chmod(fake, 0o755); err != nil {
		t.Fatal(err)
	}
	c.env = append(c.env, "HELM_BIN="+fake)
	out, _ := c.must(0, "", "images", chart, "--set", "global.imageRegistry=x", "-c", cfg, "-f", "values.yaml", "-o", "json", "--namespace=demo")
	if !strings.Contains(out, `"destination": "registry.internal.example.com/mirror/library/nginx:1.25"`) {
		t.Errorf("plan of the stand-in render:\n%s", out)
	}
	if got, _ := os.ReadFile(argsLog); string(got) != "template\n"+chart+"\n--set\nglobal.imageRegistry=x\n-f\nvalues.yaml\n--namespace=demo\n" {
		t.Errorf("helm was run with %q", got)
	}
	failing := c.write("helm-fails", "#!/bin/sh\necho 'Error: chart not found' >&2\nexit 1\n")
	if err := os.Chmod(failing, 0o755); err != nil {
		t.Fatal(err)
	}
	c.env = append(c.env, "HELM_BIN="+failing)
	_, stderr := c.must(2, "", "images", "-c", cfg, "bitnami/redis")
	if !strings.Contains(stderr, "Error: chart not found") || !strings.Contains(stderr, `rendering chart "bitnami/redis"`) {
		t.Errorf("helm's failure: %s", stderr)
	}

	if testing.Short() {
		t.Skip("-short: not building the real Helm 3")
	}
	helm := testtool.Tool(t, testtool.Helm3)
	c.env = append(c.env, "HELM_BIN="+helm)
	out, _ = c.must(0, "", "images", chart, "-c", cfg, "--why")
	wants := []string{
		"europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/mongo-seed-data:",
		"registry.internal.example.com/plexicus/standalone/mongo-seed-data:",
		"docker.io/bitnamilegacy/mongodb:",
		"(spec.template.spec.initContainers[0].image)",
	}
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("the real render's plan lacks %q:\n%s", want, out)
		}
	}

	// As a Helm plugin: `helm airgap images CHART [helm flags]`, with Helm
	// setting HELM_BIN and taking its own global flags (-n).
	plugins := filepath.Join(c.dir, "plugins")
	pluginBin := filepath.Join(plugins, "airgap", "bin")
	if err := os.MkdirAll(pluginBin, 0o755); err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(testtool.ModuleRoot(t), "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c.write("plugins/airgap/plugin.yaml", string(manifest))
	if err := os.Symlink(c.bin, filepath.Join(pluginBin, "helm-airgap")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(helm, "airgap", "images", chart, "-n", "demo", "-c", cfg, "--why", "--set", "replicaCount=2")
	cmd.Env = append(c.env, "HELM_PLUGINS="+plugins, "HELM_CONFIG_HOME="+filepath.Join(c.dir, "hc"),
		"HELM_CACHE_HOME="+filepath.Join(c.dir, "hcache"), "HELM_DATA_HOME="+filepath.Join(c.dir, "hd"))
	viaHelm, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm airgap images: %v", err)
	}
	for _, want := range wants {
		if !strings.Contains(string(viaHelm), want) {
			t.Errorf("helm airgap images lacks %q:\n%s", want, viaHelm)
		}
	}
}

func TestMirrorArchivePushVerify(t *testing.T) {
	w := newWorkflow(t)
	chartRef := "oci://" + w.src.Ref("charts/platform:1.2.3")

	// Before mirroring, verify names every missing destination.
	_, stderr := w.must(1, "", "verify", "-c", w.config, "--why", w.manifests)
	if !strings.Contains(stderr, "missing: "+w.dst.Ref("mirror/team/api:1.0")) || !strings.Contains(stderr, "4 missing") ||
		!strings.Contains(stderr, "used by Job demo/migrate: container migrate") {
		t.Errorf("verify before mirroring:\n%s", stderr)
	}

	// The dry run prints the plan and touches nothing.
	plan, _ := w.must(0, "", "mirror", "-c", w.config, "--dry-run", "--to-archive", "bundle.tar", "--chart", chartRef, w.manifests)
	if strings.Count(plan, "\n") != 5 || !strings.Contains(plan, w.src.Ref("charts/platform:1.2.3")+" "+w.dst.Ref("charts/platform:1.2.3")) {
		t.Errorf("dry-run plan:\n%s", plan)
	}
	if _, err := os.Stat(filepath.Join(w.dir, "bundle.tar")); err == nil {
		t.Error("the dry run wrote the archive")
	}

	// Outside: archive. Again: nothing is downloaded.
	w.must(0, "", "mirror", "-c", w.config, "--to-archive", "bundle.tar", "--chart", chartRef, w.manifests)
	w.src.Requests()
	_, stderr = w.must(0, "", "mirror", "-c", w.config, "--to-archive", "bundle.tar", "--chart", chartRef, w.manifests)
	if !strings.Contains(stderr, "5 image(s): 0 copied, 5 already present, 0 failed") {
		t.Errorf("re-archiving: %s", stderr)
	}
	if g := registrytest.BlobGets(w.src.Requests()); len(g) > 0 {
		t.Errorf("re-archiving downloaded %d blobs", len(g))
	}

	// Inside: no config; the archive says where each image goes, only
	// under the prefix the user gives.
	w.dst.Requests()
	w.expect(2, "an archive does not choose where it is pushed", "mirror", "--from-archive", "bundle.tar")
	_, stderr = w.must(0, "", "mirror", "--from-archive", "bundle.tar", "--push-under", w.dst.Host)
	if !strings.Contains(stderr, "5 image(s): 5 copied, 0 already present, 0 failed") {
		t.Errorf("push: %s", stderr)
	}
	if !strings.Contains(stderr, "helm-airgap: blobs: ") || strings.Contains(stderr, "blobs: 0 B sent") {
		t.Errorf("push: no summary of the blob bytes sent: %s", stderr)
	}
	w.assertMirrored(t, w.dst)
	if got, want := w.dst.Digest(t, w.dst.Ref("charts/platform:1.2.3")), w.src.Digest(t, w.src.Ref("charts/platform:1.2.3")); got != want {
		t.Errorf("chart artifact digest %s, want %s", got, want)
	}
	w.dst.Requests()
	_, stderr = w.must(0, "", "mirror", "--from-archive", "bundle.tar", "--push-under", w.dst.Host)
	if !strings.Contains(stderr, "0 copied, 5 already present") || !strings.Contains(stderr, "helm-airgap: blobs: 0 B sent") {
		t.Errorf("pushing again: %s", stderr)
	}
	if writes := registrytest.Writes(w.dst.Requests()); len(writes) > 0 {
		t.Errorf("pushing again wrote to the registry: %v", writes)
	}

	// Verify, strictly, from the manifests and from the archive.
	_, stderr = w.must(0, "", "verify", "-c", w.config, "--strict", w.manifests)
	if !strings.Contains(stderr, "verified 4 image(s): 4 present, 0 missing") {
		t.Errorf("verify: %s", stderr)
	}
	w.must(0, "", "verify", "--strict", "--from-archive", "bundle.tar")

	// A tag moved at the destination is caught by --strict only.
	other := w.src.PushImage(t, "team/other:1")
	w.must(0, "", "mirror", "--plan", "-", "--jobs", "1", "--retries", "0") // an empty plan copies nothing
	move := fmt.Sprintf("%s %s\n", w.src.Ref("team/other:1"), w.dst.Ref("mirror/team/migrate:3.0"))
	w.must(0, move, "mirror", "--plan", "-")
	w.must(0, "", "verify", "-c", w.config, w.manifests)
	_, stderr = w.must(1, "", "verify", "-c", w.config, "--strict", w.manifests)
	if !strings.Contains(stderr, "wrong digest: "+w.dst.Ref("mirror/team/migrate:3.0")+" is "+other.String()) {
		t.Errorf("strict verify after the tag moved:\n%s", stderr)
	}
}

func TestMirrorRegistryToRegistry(t *testing.T) {
	w := newWorkflow(t)
	planJSON, _ := w.must(0, "", "images", "-c", w.config, "-o", "json", w.manifests)
	w.write("plan.json", planJSON)
	_, stderr := w.must(0, "", "mirror", "--plan", "plan.json", "--jobs", "2")
	if !strings.Contains(stderr, "mirrored 4 image(s): 4 copied") || !strings.Contains(stderr, "helm-airgap: blobs: ") {
		t.Errorf("mirror: %s", stderr)
	}
	w.assertMirrored(t, w.dst)
	w.src.Requests()
	w.dst.Requests()
	_, stderr = w.must(0, "", "mirror", "-c", w.config, w.manifests)
	if !strings.Contains(stderr, "0 copied, 4 already present, 0 failed") || !strings.Contains(stderr, "helm-airgap: blobs: 0 B sent") {
		t.Errorf("second mirror: %s", stderr)
	}
	if writes := registrytest.Writes(w.dst.Requests()); len(writes) > 0 {
		t.Errorf("the second mirror wrote: %v", writes)
	}
	if gets := registrytest.BlobGets(w.src.Requests()); len(gets) > 0 {
		t.Errorf("the second mirror downloaded: %v", gets)
	}
}

func TestMirrorMissingSource(t *testing.T) {
	w := newWorkflow(t)
	manifests := w.write("more.yaml", fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: ghost, namespace: demo}\nspec:\n  containers:\n    - {name: g, image: %s/team/ghost:0.1}\n", w.src.Host))
	_, stderr := w.must(1, "", "mirror", "-c", w.config, "--why", w.manifests, manifests)
	for _, want := range []string{
		"mirrored 5 image(s): 4 copied, 0 already present, 1 failed",
		w.src.Ref("team/ghost:0.1") + ": the image does not exist",
		"used by Pod demo/ghost: container g (spec.containers[0].image)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	w.assertMirrored(t, w.dst)
}

// TestMirrorUsesDockerCredentials: the registries' users come from the
// Docker config (as docker login writes it); without it the destination's
// htpasswd auth refuses the push.
func TestMirrorUsesDockerCredentials(t *testing.T) {
	w := newWorkflow(t)
	registrytest.DockerConfig(t, filepath.Join(w.dir, "docker"), w.src)
	_, stderr := w.must(1, "", "mirror", "-c", w.config, "--retries", "0", w.manifests)
	if !strings.Contains(stderr, "401") && !strings.Contains(stderr, "UNAUTHORIZED") {
		t.Errorf("without credentials for the destination: %s", stderr)
	}
	registrytest.DockerConfig(t, filepath.Join(w.dir, "docker"), w.src, w.dst)
	w.must(0, "", "mirror", "-c", w.config, w.manifests)
	w.assertMirrored(t, w.dst)
}

// TestMirrorTrustsCAFile: a registry whose certificate an internal CA
// signed is refused as unknown until --ca-file names that CA (the test CA
// is not in SSL_CERT_FILE here, nor in the system's pool).
func TestMirrorTrustsCAFile(t *testing.T) {
	w := newWorkflow(t)
	w.env = append(w.env, "SSL_CERT_FILE=") // the last one counts; empty is the system's roots
	_, stderr := w.must(1, "", "mirror", "-c", w.config, "--retries", "0", w.manifests)
	if !strings.Contains(stderr, "certificate signed by unknown authority") {
		t.Errorf("without --ca-file: %s", stderr)
	}
	w.must(0, "", "mirror", "-c", w.config, "--ca-file", registrytest.CAFile(t), w.manifests)
	w.assertMirrored(t, w.dst)
}

func TestMirrorUsageErrors(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"mirror", "--from-archive", "a.tar", "--to-archive", "b.tar"}, "exclusive"},
		{[]string{"mirror", "--from-archive", "missing.tar"}, "reading archive"},
		{[]string{"mirror", "--plan", "p.txt", "x.yaml"}, "--plan and manifest inputs are exclusive"},
		{[]string{"mirror", "--mirror", "m.example/mirror", "--chart", "registry.example.com/c:1", "-"}, "give the chart's OCI reference"},
		{[]string{"verify", "--jobs", "0", "--mirror", "m.example/m", "-"}, "--jobs must be at least 1"},
		{[]string{"verify", "--progress", "sometimes", "--mirror", "m.example/m", "-"}, "--progress must be"},
		{[]string{"mirror", "--layer-jobs", "0", "--mirror", "m.example/m", "-"}, "--layer-jobs must be at least 1"},
		{[]string{"mirror", "--ca-file", "missing.pem", "--mirror", "m.example/m", "-"}, "reading --ca-file"},
		{[]string{"verify", "--ca-file", "not-a-ca.pem", "--mirror", "m.example/m", "-"}, `--ca-file "not-a-ca.pem" holds no PEM certificate`},
	}
	c.write("not-a-ca.pem", "not a certificate\n")
	for _, tt := range tests {
		_, stderr := c.must(2, "", tt.args...)
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: stderr %q lacks %q", tt.args, stderr, tt.want)
		}
	}
	out, _ := c.must(0, "", "mirror", "--help")
	if !strings.Contains(out, "--to-archive") || !strings.Contains(out, "Across an air gap") || !strings.Contains(out, "--layer-jobs") {
		t.Errorf("mirror --help:\n%s", out)
	}
}
