package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rewrite"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
)

// crdFile is a file of a crds/ directory as a chart may ship it: a CRD,
// then an object that is no CRD, which Helm creates all the same.
func crdFile(image string) string {
	return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: agents.example.com
spec:
  group: example.com
  names: {kind: Agent, plural: agents}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
---
apiVersion: v1
kind: Pod
metadata:
  name: placed-in-crds
spec:
  containers:
    - name: main
      image: ` + image + "\n"
}

// crdChart is a chart whose crds/ directory and whose subchart's hold
// the given files.
func crdChart(parent, sub string) *chart.Chart {
	ch := testChart(map[string]string{"job.yaml": job("work", "", "docker.io/bitnamilegacy/redis:7")})
	ch.Files = append(ch.Files, &chart.File{Name: "crds/agents.yaml", Data: []byte(parent)})
	subchart := &chart.Chart{Metadata: &chart.Metadata{APIVersion: "v2", Name: "agent", Version: "1.0.0"}}
	subchart.Files = append(subchart.Files, &chart.File{Name: "crds/more.yaml", Data: []byte(sub)})
	ch.AddDependency(subchart)
	return ch
}

// TestInstallRewritesCRDFiles: what a chart's crds/ directories hold (its
// subcharts' included) reaches the cluster rewritten, created by Helm's
// own Install straight from the chart (issue 23: it never passed the
// post-renderer).
func TestInstallRewritesCRDFiles(t *testing.T) {
	rw := testRewriter(t)
	cfg, client := testConfiguration(t, rw)
	install := action.NewInstall(cfg)
	install.ReleaseName, install.Namespace = "app", "default"
	install.PostRenderer = rw
	ch := crdChart(crdFile("ghcr.io/example/agent:1"), crdFile("quay.io/example/more:2"))
	if _, err := installChart(context.Background(), install, rw, ch, nil); err != nil {
		t.Fatalf("install: %v", err)
	}
	all := strings.Join(client.built, "\n---\n")
	for _, want := range []string{
		"image: registry.internal.example.com/example/agent:1",
		"image: registry.internal.example.com/example/more:2",
		"image: registry.internal.example.com/bitnami/redis:7",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the cluster never saw %q; built:\n%s", want, all)
		}
	}
	for _, public := range []string{"ghcr.io/", "quay.io/", "docker.io/"} {
		if strings.Contains(all, public) {
			t.Errorf("a %s image reached the cluster:\n%s", public, all)
		}
	}
	if rw.crdRefs != 2 {
		t.Errorf("%d references rewritten in crds/ files, want 2", rw.crdRefs)
	}
}

// TestInstallPublicCRDFileAppliesNothing: a public reference in a crds/
// file fails the install before Helm creates anything, and no file of the
// chart is changed.
func TestInstallPublicCRDFileAppliesNothing(t *testing.T) {
	for _, skipCRDs := range []bool{false, true} {
		rw := testRewriter(t)
		cfg, client := testConfiguration(t, rw)
		install := action.NewInstall(cfg)
		install.ReleaseName, install.Namespace = "app", "default"
		install.PostRenderer = rw
		install.SkipCRDs = skipCRDs
		good := crdFile("ghcr.io/example/agent:1")
		ch := crdChart(good, crdFile("quay.io/other/sneaky:1"))
		_, err := installChart(context.Background(), install, rw, ch, nil)
		if skipCRDs {
			// Helm creates no CRD file, so none is checked.
			if err != nil {
				t.Errorf("--skip-crds: install: %v", err)
			}
			continue
		}
		var policy *rewrite.PolicyError
		if !errors.As(err, &policy) {
			t.Fatalf("install: %v, want a policy error", err)
		}
		if n := len(policy.Report.Offenders); n != 1 || policy.Report.Offenders[0].Name != "placed-in-crds" {
			t.Errorf("offenders %+v, want the Pod in the subchart's crds/", policy.Report.Offenders)
		}
		if client.created != 0 || len(client.built) != 0 {
			t.Errorf("%d create calls, %d builds: the install applied something", client.created, len(client.built))
		}
		if got := string(ch.Files[0].Data); got != good {
			t.Errorf("the chart's crds/ file was changed although the install failed:\n%s", got)
		}
	}
}

// TestTemplateIncludeCRDsChecksCRDFiles: template prints the crds/ files
// only with --include-crds, and Helm then hands them to the post-renderer
// with the manifests, so they are rewritten, or refused, there.
func TestTemplateIncludeCRDsChecksCRDFiles(t *testing.T) {
	for image, want := range map[string]string{
		"ghcr.io/example/agent:1": "image: registry.internal.example.com/example/agent:1",
		"quay.io/other/sneaky:1":  "", // refused
	} {
		rw := testRewriter(t)
		cfg, _ := testConfiguration(t, rw)
		client := action.NewInstall(cfg)
		client.ReleaseName, client.Namespace = "app", "default"
		client.DryRun, client.DryRunOption, client.Replace, client.ClientOnly = true, "true", true, true
		client.IncludeCRDs = true
		client.PostRenderer = rw
		// As template.go runs it.
		rel, err := client.Run(crdChart(crdFile(image), crdFile("ghcr.io/example/more:2")), nil)
		if err == nil {
			err = rw.finish(rel)
		}
		if want == "" {
			var policy *rewrite.PolicyError
			if !errors.As(err, &policy) || len(policy.Report.Offenders) != 1 {
				t.Errorf("%s: %v, want one offender", image, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", image, err)
		}
		if !strings.Contains(rel.Manifest, want) || strings.Contains(rel.Manifest, "ghcr.io/") {
			t.Errorf("%s: the printed CRD files are not rewritten:\n%s", image, rel.Manifest)
		}
	}
}
