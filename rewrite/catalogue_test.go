package rewrite

import (
	"os"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
)

// TestCatalogueCloudNativePG runs the catalogue's cloudnative-pg entry on
// the real render of its cluster chart: the ImageCatalog's images move to
// the mirror and the Cluster, which creates its pods itself, gets the pull
// secret in spec.imagePullSecrets (its schema has the field).
func TestCatalogueCloudNativePG(t *testing.T) {
	input, err := os.ReadFile("../testdata/corpus/cloudnative-pg-cluster-a-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgText := "mirror: registry.internal.example.com/mirror\npullSecrets: [regcred]\n"
	out, _ := rewriteOK(t, cfgText, string(input))
	objects := objects(t, out)
	catalogs, clusters := 0, 0
	for _, obj := range objects {
		switch obj["kind"] {
		case "ImageCatalog":
			catalogs++
			for _, img := range obj["spec"].(map[string]any)["images"].([]any) {
				ref := img.(map[string]any)["image"].(string)
				if !strings.HasPrefix(ref, "registry.internal.example.com/mirror/timescale/") {
					t.Errorf("ImageCatalog image %q not on the mirror", ref)
				}
			}
		case "Cluster":
			clusters++
			secrets, _ := obj["spec"].(map[string]any)["imagePullSecrets"].([]any)
			if len(secrets) != 1 || secrets[0].(map[string]any)["name"] != "regcred" {
				t.Errorf("Cluster spec.imagePullSecrets = %v, want [{name: regcred}]", secrets)
			}
		case "Pooler", "ScheduledBackup", "Database":
			if spec, ok := obj["spec"].(map[string]any); ok && spec["imagePullSecrets"] != nil {
				t.Errorf("%s got imagePullSecrets, which its schema does not have", obj["kind"])
			}
		}
	}
	if catalogs != 1 || clusters != 1 {
		t.Fatalf("found %d ImageCatalog(s) and %d Cluster(s) in the render, want 1 and 1", catalogs, clusters)
	}
}

// TestCataloguePrometheusOperator: the render of kube-prometheus-stack is
// kept out of the shared corpus, so this uses its Prometheus and
// Alertmanager documents as testdata/custom-resources holds them.
func TestCataloguePrometheusOperator(t *testing.T) {
	input, err := os.ReadFile("../testdata/custom-resources/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := rewriteOK(t, "mirror: registry.internal.example.com/mirror\npullSecrets: [regcred]\n", string(input))
	for _, obj := range objects(t, out) {
		if obj["apiVersion"] != "monitoring.coreos.com/v1" {
			continue
		}
		spec := obj["spec"].(map[string]any)
		if img, _ := spec["image"].(string); !strings.HasPrefix(img, "registry.internal.example.com/mirror/") {
			t.Errorf("%s spec.image = %q, not on the mirror", obj["kind"], img)
		}
		if secrets, _ := spec["imagePullSecrets"].([]any); len(secrets) != 1 {
			t.Errorf("%s spec.imagePullSecrets = %v, want the pull secret", obj["kind"], spec["imagePullSecrets"])
		}
	}
}

// TestCatalogueFromConfig: the config extends the catalogue in its own
// shape: an image field whose name says nothing, a pull-secret field, a
// placeholder; and ignore acknowledges a public reference with a reason.
func TestCatalogueFromConfig(t *testing.T) {
	cfgText := `rules:
  - {from: docker.io, to: registry.internal.example.com/mirror}
pullSecrets: [regcred]
catalogue:
  - name: example-operator
    resources:
      - apiVersion: example.com
        kinds: [Engine]
        imageFields: [spec.runs]
        pullSecrets: spec.podTemplate
    placeholders: [injected]
ignore:
  - kind: ConfigMap
    field: data.upstream
    reason: documentation of the public upstream, never pulled
`
	input := `apiVersion: example.com/v1
kind: Engine
metadata: {name: e}
spec:
  runs: vendor/engine:1
  sidecar:
    image: injected
  podTemplate:
    labels: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: docs}
data:
  upstream: quay.io/vendor/engine:1
`
	opts := engineOptions(t, cfgText)
	out, report, err := runOpts(t, opts, input)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  runs: registry.internal.example.com/mirror/vendor/engine:1\n",
		"    image: injected\n",
		"  podTemplate:\n    imagePullSecrets:\n      - name: regcred\n    labels: {a: b}\n",
		"  upstream: quay.io/vendor/engine:1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if len(report.Ignored) != 1 || report.Ignored[0].Field != "data.upstream" {
		t.Errorf("ignored = %+v, want the ConfigMap's upstream", report.Ignored)
	}
	opts.Ignore = nil
	if _, _, err := runOpts(t, opts, input); err == nil {
		t.Error("without the ignore entry the public reference passed")
	}
}

func TestIgnoreNeedsAReason(t *testing.T) {
	cfg, err := config.Parse([]byte("mirror: r.example.com/m\nignore:\n  - kind: ConfigMap\n"), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Compile(); err == nil || !strings.Contains(err.Error(), "ignore[0].reason") {
		t.Fatalf("Compile = %v, want an error naming ignore[0].reason", err)
	}
}

// objects parses a stream into one map per object.
func objects(t *testing.T, stream string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, doc := range decodeAll(t, stream) {
		if obj, ok := doc.(map[string]any); ok {
			out = append(out, obj)
		}
	}
	return out
}
