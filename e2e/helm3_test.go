package e2e

import (
	"runtime"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

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
	c := newCluster(t, h)
	r := h.MustRun(f.dir, "airgap", "install", release, f.chart, "--config", f.config, "--dry-run")
	assertMirrored(t, podImages(decodeStream(t, releaseSections(t, r.Stdout))))
	c.assertEmpty(t, "a dry run")
}

// TestHelm3AirgapInstallIntoCluster shows the pre-install hook Job reaching
// the API server with its mirror image, the release record (which `helm
// rollback` replays) holding the rewritten hook too, and an upgrade
// running the pre-upgrade hook rewritten again.
func TestHelm3AirgapInstallIntoCluster(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	c := newCluster(t, h)
	h.MustRun(f.dir, "airgap", "install", release, f.chart, "--config", f.config, "--timeout=5m")
	assertMirrored(t, c.stored(t))
	rel := c.storedRelease(t, release, 1)
	if len(rel.Hooks) != 1 || !strings.Contains(rel.Hooks[0].Manifest, "image: registry.internal.example.com/plexicus/migrations:3.1.0") {
		t.Errorf("the stored hook is not rewritten: %+v", rel.Hooks)
	}

	h.MustRun(f.dir, "airgap", "upgrade", release, f.chart, "--config", f.config, "--timeout=5m")
	if n := count(c.ran(), hookJob); n != 2 {
		t.Errorf("%s ran %d time(s), want once for the install and once for the upgrade", hookJob, n)
	}
	assertAllMirrored(t, "the Jobs and Pods run", c.ran())
	assertMirrored(t, c.stored(t))

	// An upgrade that would bring a public image back changes nothing.
	r := h.Run(f.dir, "airgap", "upgrade", release, f.chart, "--config", f.strict, "--timeout=5m")
	if r.Code != 1 || !strings.Contains(r.Stderr, "docker.io/library/nginx:1.27.3-alpine") {
		t.Errorf("upgrade with an unmapped image: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	if n := count(c.ran(), hookJob); n != 2 {
		t.Errorf("the failed upgrade ran the hook: %d runs", n)
	}
	assertMirrored(t, c.stored(t))
}

// TestHelm3AirgapRollback: a rollback replays a stored revision without
// rendering it again. Revision 1 is installed with plain Helm (every image
// public), revision 2 with helm airgap; rolling back to 1 with helm airgap
// rewrites the revision, hooks included (the chart's hook also runs before a
// rollback), and a plain `helm rollback` to 1 shows what that prevents.
func TestHelm3AirgapRollback(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 3)
	c := newCluster(t, h)
	h.MustRun(f.dir, "install", release, f.chart, "--timeout=5m")
	plainRuns := len(c.cp.Ran(c.namespace))
	h.MustRun(f.dir, "airgap", "upgrade", release, f.chart, "--config", f.config, "--timeout=5m")
	runs := len(c.cp.Ran(c.namespace))

	// A rule set that cannot map the revision's nginx fails the rollback,
	// and its dry run, before anything changes.
	for _, dryRun := range []string{"--dry-run=false", "--dry-run"} {
		r := h.Run(f.dir, "airgap", "rollback", release, "1", "--config", f.strict, "--timeout=5m", dryRun)
		if offender := "docker.io/library/nginx:1.27.3-alpine"; r.Code != 1 || !strings.Contains(r.Stderr, offender) {
			t.Errorf("rollback %s with an unmapped image: exit %d, stderr lacks %s:\n%s", dryRun, r.Code, offender, r.Stderr)
		}
	}
	if len(c.cp.Ran(c.namespace)) != runs {
		t.Error("the failed rollback ran a hook")
	}
	assertMirrored(t, c.stored(t))

	h.MustRun(f.dir, "airgap", "rollback", release, "1", "--config", f.config, "--timeout=5m")
	assertMirrored(t, c.stored(t))
	if count(c.ran(), hookJob) != 3 {
		t.Errorf("the pre-rollback hook did not run: %v", c.ran())
	}
	assertAllMirrored(t, "the Jobs and Pods run since the plain install", podImages(c.cp.Ran(c.namespace)[plainRuns:]))
	rel := c.storedRelease(t, release, 3) // the failed rollback stored nothing
	if strings.Contains(rel.Manifest, "docker.io/") || len(rel.Hooks) != 1 || strings.Contains(rel.Hooks[0].Manifest, "europe-west3-docker.pkg.dev") {
		t.Errorf("the rolled-back revision is stored with public images:\n%s\n%+v", rel.Manifest, rel.Hooks)
	}

	// Plain Helm replays revision 1 as it was stored.
	h.MustRun(f.dir, "rollback", release, "1", "--timeout=5m")
	public := 0
	for _, i := range c.stored(t) {
		if !strings.HasPrefix(i.image, mirrorHost) {
			public++
		}
	}
	if public == 0 {
		t.Error("a plain helm rollback to the plain revision brought no public image back: the test above proves nothing")
	}
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
	c := newCluster(t, h)
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
	c.assertEmpty(t, "a dry run")
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
	c := newCluster(t, h)
	r := h.Run(f.dir, "airgap", "install", release, f.chart, "--config", f.strict,
		"--set", "sidecar.image=registry.internal.example.com/mirror/library/nginx:1.27.3-alpine",
		"--set", "migrations.image=ghcr.io/example/migrations:1.0")
	want := "Job platform-migrations: container migrations (spec.template.spec.containers[0].image): ghcr.io/example/migrations:1.0"
	if r.Code != 1 || !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "(1 of them in hooks)") {
		t.Errorf("exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	c.assertEmpty(t, "the failed install")
}
