package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/kubetest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// cluster points h at a fresh fake API server: Helm 3 talks to the cluster
// even for --dry-run.
func cluster(t *testing.T, h *helmtest.Helm) *kubetest.Server {
	t.Helper()
	api := kubetest.Start(t)
	h.Setenv("KUBECONFIG", api.Kubeconfig(t, h.Home))
	return api
}

func TestHelm3AirgapTemplate(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	r := h.MustRun(f.dir, "airgap", "template", release, f.chart, "--config", f.config)
	assertMirrored(t, podImages(decodeStream(t, r.Stdout)))
	if !strings.Contains(r.Stderr, "in 1 hook(s)") {
		t.Errorf("the summary does not count the hook:\n%s", r.Stderr)
	}
}

func TestHelm3AirgapInstallDryRun(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	api := cluster(t, h)
	r := h.MustRun(f.dir, "airgap", "install", release, f.chart, "--config", f.config, "--dry-run")
	assertMirrored(t, podImages(decodeStream(t, releaseSections(t, r.Stdout))))
	for _, o := range api.Written() {
		t.Errorf("a dry run wrote %s %s/%s to the cluster", o.Kind, o.Namespace, o.Name)
	}
}

// TestHelm3AirgapInstallIntoCluster shows the pre-install hook Job reaching
// the cluster with its mirror image, and the release record (which `helm
// rollback` replays) holding the rewritten hook too.
func TestHelm3AirgapInstallIntoCluster(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	api := cluster(t, h)
	h.MustRun(f.dir, "airgap", "install", release, f.chart, "--config", f.config, "--timeout=30s")
	assertMirrored(t, clusterImages(api))

	record, ok := api.Get("", "v1", "secrets", "default", "sh.helm.release.v1."+release+".v1")
	if !ok {
		t.Fatal("no release record in the cluster")
	}
	rel := decodeRelease(t, record)
	if len(rel.Hooks) != 1 || !strings.Contains(rel.Hooks[0].Manifest, "image: registry.internal.example.com/plexicus/migrations:3.1.0") {
		t.Errorf("the stored hook is not rewritten: %+v", rel.Hooks)
	}
	// An upgrade runs the pre-upgrade hook again, rewritten again.
	before := len(api.Written())
	h.MustRun(f.dir, "airgap", "upgrade", release, f.chart, "--config", f.config, "--timeout=30s")
	hookWrites := 0
	for _, o := range api.Written()[before:] {
		if o.Kind+"/"+o.Name == hookJob {
			hookWrites++
		}
	}
	if hookWrites == 0 {
		t.Error("the upgrade did not run the pre-upgrade hook")
	}
	assertMirrored(t, clusterImages(api))
}

// decodeRelease decodes Helm's release Secret: base64, gzip, JSON.
func decodeRelease(t *testing.T, secret map[string]any) (rel struct {
	Hooks []struct{ Manifest string }
}) {
	t.Helper()
	data, _ := secret["data"].(map[string]any)
	outer, err := base64.StdEncoding.DecodeString(data["release"].(string)) // the Secret's own encoding
	if err != nil {
		t.Fatal(err)
	}
	inner, err := base64.StdEncoding.DecodeString(string(outer)) // Helm's
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(inner))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(plain, &rel); err != nil {
		t.Fatal(err)
	}
	return rel
}

// helm3PostRenderer is plain Helm 3 post-rendering with the fast binary.
func helm3PostRenderer(t *testing.T, config string) []string {
	return []string{"--post-renderer", testtool.Command(t, "helm-airgap"),
		"--post-renderer-args", "rewrite", "--post-renderer-args", "--config=" + config}
}

// TestHelm3PlainPostRendererLeavesHooksPublic documents the gap the README
// warns about: plain --post-renderer rewrites everything but the hook, and
// helm-airgap says so on the terminal, since Helm 3 drops its stderr.
func TestHelm3PlainPostRendererLeavesHooksPublic(t *testing.T) {
	f := newFixture(t)
	h := helmtest.New(t, 3)
	api := cluster(t, h)
	for _, args := range [][]string{
		append([]string{"template", release, f.chart}, helm3PostRenderer(t, f.config)...),
		append([]string{"install", release, f.chart, "--dry-run"}, helm3PostRenderer(t, f.config)...),
	} {
		var r helmtest.Result
		if !helmtest.TerminalSupported() && runtime.GOOS == "linux" {
			t.Fatal("no pseudo-terminal: the hooks warning cannot be checked")
		}
		if helmtest.TerminalSupported() {
			r = h.RunWithTerminal(f.dir, args...)
		} else {
			r = h.Run(f.dir, args...)
		}
		if r.Code != 0 {
			t.Fatalf("helm3 %s: exit %d\n%s", strings.Join(args, " "), r.Code, r.Stderr)
		}
		stream := r.Stdout
		if args[0] == "install" {
			stream = releaseSections(t, stream)
		}
		images := podImages(decodeStream(t, stream))
		for _, i := range images {
			onMirror := strings.HasPrefix(i.image, mirrorHost)
			if i.resource == hookJob && onMirror {
				t.Errorf("%s: Helm 3 post-rendered the hook, which the README says it never does: %s", args[0], i)
			}
			if i.resource != hookJob && !onMirror {
				t.Errorf("%s: %s is not on the mirror", args[0], i)
			}
		}
		if !hasResource(images, hookJob) {
			t.Errorf("%s: the hook is missing from the output", args[0])
		}
		if helmtest.TerminalSupported() && !strings.Contains(r.Terminal, "Helm 3 does not pass hooks") {
			t.Errorf("%s: no hooks warning on the terminal:\n%q", args[0], r.Terminal)
		}
	}
	if n := len(api.Written()); n != 0 {
		t.Errorf("dry runs wrote %d objects", n)
	}
}

func TestHelm3UnmappedImageFails(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	offender := "Deployment platform-web: container proxy (spec.template.spec.containers[1].image): docker.io/library/nginx:1.27.3-alpine"
	// Helm 3 shows a failing post-renderer's stderr itself.
	r := h.Run(f.dir, append([]string{"template", release, f.chart}, helm3PostRenderer(t, f.strict)...)...)
	if r.Code == 0 || r.Stdout != "" || !strings.Contains(r.Stderr, offender) {
		t.Errorf("plain post-renderer: exit %d, stdout %d bytes, stderr:\n%s", r.Code, len(r.Stdout), r.Stderr)
	}
	// The companion names the offender and fails before printing anything.
	r = h.Run(f.dir, "airgap", "template", release, f.chart, "--config", f.strict)
	if r.Code != 1 || r.Stdout != "" || !strings.Contains(r.Stderr, offender) || !strings.Contains(r.Stderr, "hint: add a rule") {
		t.Errorf("helm airgap template: exit %d, stdout %d bytes, stderr:\n%s", r.Code, len(r.Stdout), r.Stderr)
	}
}

// TestHelm3AirgapUnmappedHookFails: a public image only in a hook fails the
// install before anything reaches the cluster.
func TestHelm3AirgapUnmappedHookFails(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	api := cluster(t, h)
	r := h.Run(f.dir, "airgap", "install", release, f.chart, "--config", f.strict,
		"--set", "sidecar.image=registry.internal.example.com/mirror/library/nginx:1.27.3-alpine",
		"--set", "migrations.image=ghcr.io/example/migrations:1.0")
	want := "Job platform-migrations: container migrations (spec.template.spec.containers[0].image): ghcr.io/example/migrations:1.0"
	if r.Code != 1 || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "(1 of them in hooks)") {
		t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	for _, o := range api.Written() {
		if o.Kind != "Namespace" {
			t.Errorf("the failed install wrote %s %s/%s", o.Kind, o.Namespace, o.Name)
		}
	}
}
