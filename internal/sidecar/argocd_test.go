package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/argocdtest"
)

// TestArgoCDRunsTheImage runs the image's plugin in Argo CD itself
// (internal/argocdtest): the real argocd-cmp-server reading the image's
// plugin.yaml from the image's config directory, with only the image's
// binaries on PATH, asked for an Application's manifests by the
// repo-server's own code, the plugin found by discovery.
func TestArgoCDRunsTheImage(t *testing.T) {
	builtImage(t)
	repo := t.TempDir()
	for name, content := range appFiles {
		if err := writeFrom(filepath.Join(repo, "apps", "web", name), strings.NewReader(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()
	config := filepath.Join(work, "airgap.yaml")
	if err := os.WriteFile(config, []byte("mirror: registry.internal.example.com/mirror\npullSecrets: [my-registry-secret]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := argocdtest.StartSidecar(t, filepath.Join(built.rootfs, filepath.Dir(pluginPath)), []string{
		"PATH=" + filepath.Join(built.rootfs, binDir),
		"HOME=" + work,
		"HELM_CACHE_HOME=" + filepath.Join(work, "helm", "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(work, "helm", "config"),
		"HELM_DATA_HOME=" + filepath.Join(work, "helm", "data"),
		"HELM_AIRGAP_CONFIG=" + config,
	})
	res := s.Generate(t, repo, argocdtest.ManifestRequest{
		AppName:     "web",
		Namespace:   "web-prod",
		KubeVersion: "1.33.0",
		APIVersions: []string{"apps/v1", "v1"},
		Repo:        argocdtest.Repository{Repo: "https://git.internal.example.com/web.git"},
		ApplicationSource: argocdtest.ApplicationSource{
			Path: "apps/web", TargetRevision: "main", Plugin: &argocdtest.Plugin{},
		},
	})
	if res.Code != 0 {
		t.Fatalf("generate: exit %d\n%s", res.Code, res.Stderr)
	}
	for _, want := range []string{`"name":"web-web"`, `"image":"registry.internal.example.com/mirror/library/nginx:1.27"`, `"imagePullSecrets":[{"name":"my-registry-secret"}]`} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("the manifests lack %s:\n%s", want, res.Stdout)
		}
	}
}
