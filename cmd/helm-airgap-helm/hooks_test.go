package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/kube"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"
)

// The hook seam (hooks.go), tested through Helm 3's real Install and
// Upgrade actions with a fake cluster that records every manifest Helm
// builds, hooks included.

const testConfig = `rules:
  - from: docker.io/bitnamilegacy
    to: registry.internal.example.com/bitnami
  - from: ghcr.io/example
    to: registry.internal.example.com/example
  - from: quay.io/example
    to: registry.internal.example.com/example
pullSecrets: [regcred]
`

func testRewriter(t *testing.T) *rewriter {
	t.Helper()
	cfg, err := config.Parse([]byte(testConfig), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policy, err := settings.Load(settings.Request{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return newRewriter(policy.Start(io.Discard, io.Discard))
}

// recordingClient is a cluster that records the manifests Helm builds and
// how many times it creates something.
type recordingClient struct {
	kubefake.PrintingKubeClient
	mu      sync.Mutex
	built   []string
	created int
}

func (c *recordingClient) Build(r io.Reader, validate bool) (kube.ResourceList, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.built = append(c.built, string(data))
	c.mu.Unlock()
	return c.PrintingKubeClient.Build(bytes.NewReader(data), validate)
}

func (c *recordingClient) Create(resources kube.ResourceList) (*kube.Result, error) {
	c.mu.Lock()
	c.created++
	c.mu.Unlock()
	return c.PrintingKubeClient.Create(resources)
}

func job(name, hook, image string) string {
	annotations := ""
	if hook != "" {
		annotations = "\n  annotations:\n    helm.sh/hook: " + hook
	}
	return `apiVersion: batch/v1
kind: Job
metadata:
  name: ` + name + annotations + `
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: ` + image + "\n"
}

func testChart(files map[string]string) *chart.Chart {
	ch := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "app", Version: "1.0.0"}}
	for name, data := range files {
		ch.Templates = append(ch.Templates, &chart.File{Name: "templates/" + name, Data: []byte(data)})
	}
	return ch
}

func testConfiguration(t *testing.T, rw *rewriter) (*action.Configuration, *recordingClient) {
	t.Helper()
	client := &recordingClient{PrintingKubeClient: kubefake.PrintingKubeClient{Out: io.Discard}}
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   client,
		Capabilities: chartutil.DefaultCapabilities,
		Log:          t.Logf,
	}
	guardHooks(cfg, rw)
	return cfg, client
}

func TestInstallRewritesHooksBeforeTheyRun(t *testing.T) {
	rw := testRewriter(t)
	cfg, client := testConfiguration(t, rw)
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = "app", "default"
	install.PostRenderer = rw
	ch := testChart(map[string]string{
		"job.yaml":          job("work", "", "docker.io/bitnamilegacy/redis:7"),
		"pre-install.yaml":  job("migrate", "pre-install", "ghcr.io/example/migrate:1"),
		"post-install.yaml": job("notify", "post-install", "ghcr.io/example/notify:2"),
		"test.yaml":         job("smoke", "test", "docker.io/bitnamilegacy/kubectl:1.31"),
	})
	rel, err := install.Run(ch, nil)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	// What reached the cluster: the manifest and both install hooks (the
	// test hook runs only with helm test).
	all := strings.Join(client.built, "\n---\n")
	for _, want := range []string{
		"image: registry.internal.example.com/bitnami/redis:7",
		"image: registry.internal.example.com/example/migrate:1",
		"image: registry.internal.example.com/example/notify:2",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the cluster never saw %q; built:\n%s", want, all)
		}
	}
	for _, public := range []string{"docker.io/", "ghcr.io/"} {
		if strings.Contains(all, public) {
			t.Errorf("a %s image reached the cluster:\n%s", public, all)
		}
	}
	// The stored release, which helm rollback replays, holds rewritten hooks,
	// the test hook included.
	stored, err := cfg.Releases.Get("app", 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range stored.Hooks {
		if !strings.Contains(h.Manifest, "registry.internal.example.com/") || !strings.Contains(h.Manifest, "name: regcred") {
			t.Errorf("stored hook %s is not rewritten:\n%s", h.Path, h.Manifest)
		}
	}
	if rw.hooks != 3 || rw.hookRefs != 3 || rw.manifestRefs != 1 {
		t.Errorf("summary counts: %d hooks, %d hook refs, %d manifest refs; want 3, 3, 1", rw.hooks, rw.hookRefs, rw.manifestRefs)
	}
	if rel.Info.Status != release.StatusDeployed {
		t.Errorf("release status %s", rel.Info.Status)
	}
}

func TestInstallPublicHookAppliesNothing(t *testing.T) {
	rw := testRewriter(t)
	cfg, client := testConfiguration(t, rw)
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = "app", "default"
	install.PostRenderer = rw
	ch := testChart(map[string]string{
		"job.yaml":         job("work", "", "docker.io/bitnamilegacy/redis:7"),
		"pre-install.yaml": job("migrate", "pre-install", "quay.io/other/migrate:1"),
		"post-delete.yaml": job("cleanup", "post-delete", "quay.io/other/cleanup:1"),
	})
	_, err := install.Run(ch, nil)
	var policy *rewrite.PolicyError
	if !errors.As(err, &policy) {
		t.Fatalf("install: %v, want a policy error", err)
	}
	if n := len(policy.Report.Offenders); n != 2 {
		t.Errorf("%d offenders, want both hooks: %+v", n, policy.Report.Offenders)
	}
	if !strings.HasSuffix(err.Error(), "(2 of them in hooks)") {
		t.Errorf("the error does not say the offenders are hooks: %v", err)
	}
	if client.created != 0 {
		t.Errorf("%d create calls: the install applied something", client.created)
	}
	if _, err := cfg.Releases.Get("app", 1); err == nil {
		t.Error("a release record was stored")
	}
}

func TestUpgradeRewritesHooks(t *testing.T) {
	rw := testRewriter(t)
	cfg, client := testConfiguration(t, rw)
	ch := testChart(map[string]string{
		"job.yaml":         job("work", "", "docker.io/bitnamilegacy/redis:7"),
		"pre-upgrade.yaml": job("migrate", "pre-install,pre-upgrade", "ghcr.io/example/migrate:1"),
	})
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = "app", "default"
	install.PostRenderer = rw
	if _, err := install.Run(ch, nil); err != nil {
		t.Fatal(err)
	}
	client.built = nil
	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = "default"
	upgrade.PostRenderer = rw
	if _, err := upgrade.Run("app", ch, nil); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	all := strings.Join(client.built, "\n---\n")
	if !strings.Contains(all, "registry.internal.example.com/example/migrate:1") || strings.Contains(all, "ghcr.io/") {
		t.Errorf("the pre-upgrade hook did not reach the cluster rewritten:\n%s", all)
	}
}

// TestHookCollidesWithManifest: two sources landing on one destination are
// a policy failure even when one is in a hook and the other is not, which
// the engine, rewriting them in separate runs, cannot see by itself.
func TestHookCollidesWithManifest(t *testing.T) {
	rw := testRewriter(t)
	if _, err := rw.Run(bytes.NewBufferString(job("work", "", "ghcr.io/example/app:1"))); err != nil {
		t.Fatal(err)
	}
	rel := &release.Release{Hooks: []*release.Hook{{Name: "migrate", Path: "templates/hook.yaml", Manifest: job("migrate", "pre-install", "quay.io/example/app:1")}}}
	err := rw.finish(rel)
	var policy *rewrite.PolicyError
	if !errors.As(err, &policy) || len(policy.Report.Collisions) != 1 {
		t.Fatalf("error %v, want one collision", err)
	}
	if got := policy.Report.Collisions[0].String(); got != "ghcr.io/example/app and quay.io/example/app would both be mirrored to registry.internal.example.com/example/app" {
		t.Errorf("collision: %s", got)
	}
	if !strings.Contains(rel.Hooks[0].Manifest, "image: quay.io/example/app:1") {
		t.Errorf("the hook was changed despite the failure:\n%s", rel.Hooks[0].Manifest)
	}
}

func TestRewriteHooks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hooks   []string
		err     string   // substring of the error; "" for success
		want    []string // substring of each hook's manifest afterwards
		changed bool
	}{
		{"rewrites every hook",
			[]string{job("a", "pre-install", "ghcr.io/example/a:1"), job("b", "post-install", "docker.io/bitnamilegacy/b:2")}, "",
			[]string{"registry.internal.example.com/example/a:1", "registry.internal.example.com/bitnami/b:2"}, true},
		{"a policy failure changes no hook",
			[]string{job("a", "pre-install", "ghcr.io/example/a:1"), job("b", "post-install", "quay.io/x/b:2")}, "1 image reference(s) not on the mirror or an allowed registry (1 of them in hooks)",
			[]string{"image: ghcr.io/example/a:1", "image: quay.io/x/b:2"}, false},
		{"an input error names the hook",
			[]string{"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: c, image: \"Not A Ref\"}\n"}, `rewriting hook "p" ("templates/h0.yaml")`,
			[]string{"Not A Ref"}, false},
		{"an empty hook is left alone", []string{"  \n"}, "", []string{"  \n"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rw := testRewriter(t)
			rel := &release.Release{}
			for i, m := range tc.hooks {
				name := strings.TrimSpace(strings.SplitN(strings.SplitN(m+"name: p\n", "name: ", 2)[1], "\n", 2)[0])
				name = strings.TrimSuffix(name, "}")
				rel.Hooks = append(rel.Hooks, &release.Hook{Name: name, Path: "templates/h" + string(rune('0'+i)) + ".yaml", Manifest: m})
			}
			err := rw.finish(rel)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			for i, want := range tc.want {
				if !strings.Contains(rel.Hooks[i].Manifest, want) {
					t.Errorf("hook %d lacks %q:\n%s", i, want, rel.Hooks[i].Manifest)
				}
			}
			// A second pass does nothing more: hooks done are skipped.
			if tc.changed {
				before := rw.hookRefs
				if err := rw.finish(rel); err != nil || rw.hookRefs != before {
					t.Errorf("second pass: %v, refs %d -> %d", err, before, rw.hookRefs)
				}
			}
		})
	}
}

// TestOneRoundForManifestsAndHooks: a public image in the manifests does
// not hide one in a hook; the verdict names both, and changes no hook.
func TestOneRoundForManifestsAndHooks(t *testing.T) {
	rw := testRewriter(t)
	manifest := job("work", "", "quay.io/x/work:1")
	out, err := rw.Run(bytes.NewBufferString(manifest))
	if err != nil {
		t.Fatalf("the post-renderer failed on its own: %v; want the failure held for the verdict", err)
	}
	if out.String() != manifest {
		t.Errorf("the failing manifests were changed:\n%s", out)
	}
	rel := &release.Release{Hooks: []*release.Hook{{Name: "migrate", Path: "templates/hook.yaml", Manifest: job("migrate", "pre-install", "quay.io/x/migrate:1")}}}
	err = rw.finish(rel)
	var policy *rewrite.PolicyError
	if !errors.As(err, &policy) {
		t.Fatalf("finish: %v, want a policy error", err)
	}
	var images []string
	for _, o := range policy.Report.Offenders {
		images = append(images, o.Mapping.Source.Written)
	}
	if strings.Join(images, " ") != "quay.io/x/work:1 quay.io/x/migrate:1" {
		t.Errorf("offenders %v, want the manifest's and the hook's", images)
	}
	if !strings.Contains(rel.Hooks[0].Manifest, "image: quay.io/x/migrate:1") {
		t.Error("the hook was changed despite the failure")
	}
}
