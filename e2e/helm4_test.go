package e2e

import (
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
)

// postRender is how users name the Helm 4 post-renderer plugin.
func postRender(config string) []string {
	return []string{"--post-renderer", "airgap-postrenderer", "--post-renderer-args=--config=" + config}
}

func TestHelm4Template(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	plain := h.MustRun(f.dir, "template", release, f.chart)
	r := h.MustRun(f.dir, append([]string{"template", release, f.chart}, postRender(f.config)...)...)
	assertMirrored(t, podImages(decodeStream(t, r.Stdout)))

	// Helm 4 splits the post-rendered stream back into files by the
	// postrender-filename annotation: had helm-airgap dropped one, its
	// document would come back as generated-by-postrender-N.yaml.
	if got, want := sources(r.Stdout), sources(plain.Stdout); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("# Source: lines differ from plain helm template:\n got  %q\n want %q", got, want)
	}
	if strings.Contains(r.Stdout, "postrenderer.helm.sh/postrender-filename") {
		t.Error("the postrender-filename annotation leaked into the output: Helm did not find it where it looks")
	}
}

var sourceLine = regexp.MustCompile(`(?m)^# Source: (.*)$`)

func sources(stream string) []string {
	var out []string
	for _, m := range sourceLine.FindAllStringSubmatch(stream, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestHelm4InstallDryRunClient(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	// No cluster: KUBECONFIG points at nothing.
	r := h.MustRun(f.dir, append([]string{"install", release, f.chart, "--dry-run=client"}, postRender(f.config)...)...)
	assertMirrored(t, podImages(decodeStream(t, releaseSections(t, r.Stdout))))
}

// TestHelm4InstallIntoCluster: Helm 4 post-renders hooks itself, so the
// plugin alone puts every pod spec on the mirror, and a plain `helm
// rollback` replays the rewritten revision.
func TestHelm4InstallIntoCluster(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	c := newCluster(t, h)
	h.MustRun(f.dir, append([]string{"install", release, f.chart, "--timeout=5m"}, postRender(f.config)...)...)
	assertMirrored(t, c.stored(t))
	h.MustRun(f.dir, append([]string{"upgrade", release, f.chart, "--timeout=5m"}, postRender(f.config)...)...)
	h.MustRun(f.dir, "rollback", release, "1", "--timeout=5m")
	assertMirrored(t, c.stored(t))
	if n := count(c.ran(), hookJob); n != 3 {
		t.Errorf("%s ran %d time(s), want for the install, the upgrade and the rollback", hookJob, n)
	}
	assertAllMirrored(t, "the Jobs and Pods run", c.ran())
}

// TestHelm4UnmappedHookCreatesNothing: Helm 4 post-renders hooks with the
// manifests, so a public image only in a hook fails the install before
// anything reaches the API server.
func TestHelm4UnmappedHookCreatesNothing(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	c := newCluster(t, h)
	r := h.Run(f.dir, append([]string{"install", release, f.chart, "--timeout=5m",
		"--set", "sidecar.image=registry.internal.example.com/mirror/library/nginx:1.27.3-alpine",
		"--set", "migrations.image=ghcr.io/example/migrations:1.0"}, postRender(f.strict)...)...)
	want := "Job platform-migrations: container migrations (spec.template.spec.containers[0].image): ghcr.io/example/migrations:1.0"
	if report := readFile(t, h.Report); r.Code == 0 || !strings.Contains(report, want) {
		t.Errorf("exit %d, report:\n%s\nstderr:\n%s", r.Code, report, r.Stderr)
	}
	c.assertEmpty(t, "the failed install")
}

func TestHelm4UnmappedImageFailsVisibly(t *testing.T) {
	f := newFixture(t)
	h := newHelm(t, 4)
	args := append([]string{"template", release, f.chart}, postRender(f.strict)...)
	terminal := helmtest.TerminalSupported()
	if !terminal && runtime.GOOS == "linux" {
		t.Fatal("no pseudo-terminal: the terminal copy of the report cannot be checked")
	}
	var r helmtest.Result
	if terminal {
		r = h.RunWithTerminal(f.dir, args...)
	} else {
		r = h.Run(f.dir, args...) // the report file is still checked
	}
	if r.Code == 0 {
		t.Fatalf("helm template succeeded with an unmapped image:\n%s", r.Stdout)
	}
	// All Helm 4 itself says: the plugin's stderr is gone.
	if !strings.Contains(r.Stderr, `plugin "airgap-postrenderer" exited with error`) {
		t.Errorf("unexpected Helm error:\n%s", r.Stderr)
	}
	offender := "Deployment platform-web: container proxy (spec.template.spec.containers[1].image): docker.io/library/nginx:1.27.3-alpine"
	seen := map[string]string{"the report file": readFile(t, h.Report)}
	if terminal {
		seen["the terminal"] = r.Terminal
		if !strings.Contains(r.Terminal, "report written to "+h.Report) {
			t.Errorf("the terminal does not name the report file:\n%s", r.Terminal)
		}
	}
	for where, text := range seen {
		if !strings.Contains(text, offender) {
			t.Errorf("%s does not name the offender %q:\n%s", where, offender, text)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(data)
}
