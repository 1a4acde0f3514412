package rewrite

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
	"go.yaml.in/yaml/v3"
)

// The golden files of the issuer rewrite are refreshed with -update, like
// every golden file of the project. Other test files of this package may
// define the flag too, so it is registered only when nobody has.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files")
	}
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// issuerRewrite runs the engine with only the issuer pass (and a catch-all
// mirror, so that images never fail the run).
func issuerRewrite(t *testing.T, issuer Issuer, input string) (string, *Report) {
	t.Helper()
	cfg := &config.Config{Mirror: "registry.internal.example.com/mirror"}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report, err := Run(strings.NewReader(input), &out, Options{Mapper: m, Passes: []Pass{IssuerPass(issuer)}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return out.String(), report
}

var internalCA = Issuer{Name: "internal-ca", Kind: "ClusterIssuer"}

// TestIssuerGolden rewrites every form of issuer reference in
// testdata/egress/issuer byte-exactly (spliced, never re-encoded), and a
// second run changes nothing.
func TestIssuerGolden(t *testing.T) {
	dir := filepath.Join("..", "testdata", "egress", "issuer")
	input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	got, report := issuerRewrite(t, internalCA, string(input))
	if report.ReEncoded != 0 {
		t.Errorf("%d document(s) re-encoded; every issuer edit must be spliced", report.ReEncoded)
	}
	path := filepath.Join(dir, "output.golden.yaml")
	if updateGolden() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rewrite -run TestIssuerGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
	again, _ := issuerRewrite(t, internalCA, got)
	if again != got {
		t.Errorf("the issuer rewrite is not idempotent; second run:\n%s", again)
	}
	// Only issuer lines change or are added, and never in the resource that
	// is not cert-manager's.
	in, out := strings.Split(string(input), "\n"), strings.Split(got, "\n")
	changed := 0
	for i, j := 0, 0; i < len(in) && j < len(out); i, j = i+1, j+1 {
		if in[i] == out[j] {
			continue
		}
		changed++
		line := out[j]
		if j+1 < len(out) && in[i] == out[j+1] {
			j++ // line was added before in[i]
		}
		if !strings.Contains(line, "internal-ca") && !strings.Contains(line, "ClusterIssuer") && !strings.Contains(line, "cert-manager.io") {
			t.Errorf("unexpected change at input line %d: %q -> %q", i+1, in[i], line)
		}
	}
	if changed == 0 {
		t.Error("nothing changed")
	}
	if !strings.Contains(got, "  annotations:\n    cert-manager.io/cluster-issuer: letsencrypt-prod\ndata:\n  issuerRef: letsencrypt-prod\n") {
		t.Error("the ConfigMap's look-alike annotation or data changed")
	}
}

func TestIssuerPass(t *testing.T) {
	ingress := func(annotations string) string {
		return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  annotations:\n" + annotations + "spec: {}\n"
	}
	certificate := func(ref string) string {
		return "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\nspec:\n  secretName: c\n  issuerRef:" + ref
	}
	tests := []struct {
		name   string
		issuer Issuer
		in     string
		want   string
	}{
		{"cluster-issuer value", internalCA,
			ingress("    cert-manager.io/cluster-issuer: letsencrypt\n"),
			ingress("    cert-manager.io/cluster-issuer: internal-ca\n")},
		{"issuer becomes cluster-issuer", internalCA,
			ingress("    cert-manager.io/issuer: \"letsencrypt\"\n"),
			ingress("    cert-manager.io/cluster-issuer: \"internal-ca\"\n")},
		{"issuer with kind and group keeps its form", internalCA,
			ingress("    cert-manager.io/issuer: pca\n    cert-manager.io/issuer-kind: AWSPCAIssuer\n    cert-manager.io/issuer-group: awspca.cert-manager.io\n"),
			ingress("    cert-manager.io/issuer: internal-ca\n    cert-manager.io/issuer-kind: ClusterIssuer\n    cert-manager.io/issuer-group: cert-manager.io\n")},
		{"namespaced issuer", Issuer{Name: "platform-ca", Kind: "Issuer"},
			ingress("    cert-manager.io/cluster-issuer: letsencrypt\n"),
			ingress("    cert-manager.io/issuer: platform-ca\n")},
		{"legacy extensions Ingress", internalCA,
			strings.Replace(ingress("    cert-manager.io/cluster-issuer: le\n"), "networking.k8s.io/v1", "extensions/v1beta1", 1),
			strings.Replace(ingress("    cert-manager.io/cluster-issuer: internal-ca\n"), "networking.k8s.io/v1", "extensions/v1beta1", 1)},
		{"another group's Ingress is left alone", internalCA,
			strings.Replace(ingress("    cert-manager.io/cluster-issuer: le\n"), "networking.k8s.io/v1", "example.com/v1", 1),
			strings.Replace(ingress("    cert-manager.io/cluster-issuer: le\n"), "networking.k8s.io/v1", "example.com/v1", 1)},
		{"issuerRef kind is added after the name", internalCA,
			certificate("\n    name: le # default\n    group: cert-manager.io\n"),
			certificate("\n    name: internal-ca # default\n    kind: ClusterIssuer\n    group: cert-manager.io\n")},
		{"issuerRef kind at the end of the stream", internalCA,
			certificate("\n    name: le"),
			certificate("\n    name: internal-ca\n    kind: ClusterIssuer\n")},
		{"issuerRef kind is set", internalCA,
			certificate("\n    name: le\n    kind: Issuer\n"),
			certificate("\n    name: internal-ca\n    kind: ClusterIssuer\n")},
		{"no kind means Issuer", Issuer{Name: "platform-ca", Kind: "Issuer"},
			certificate("\n    name: le\n"),
			certificate("\n    name: platform-ca\n")},
		{"flow issuerRef", internalCA,
			certificate(" {name: le}\n"),
			certificate(" {\"kind\": \"ClusterIssuer\", name: internal-ca}\n")},
		{"external issuer group", internalCA,
			certificate("\n    name: pca\n    kind: AWSPCAClusterIssuer\n    group: awspca.cert-manager.io\n"),
			certificate("\n    name: internal-ca\n    kind: ClusterIssuer\n    group: cert-manager.io\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, report := issuerRewrite(t, tt.issuer, tt.in)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if report.ReEncoded != 0 {
				t.Errorf("re-encoded; want a spliced edit")
			}
			if again, _ := issuerRewrite(t, tt.issuer, got); again != got {
				t.Errorf("not idempotent:\n%s", again)
			}
		})
	}
}

// TestIssuerPassReEncodes: a name the splicer cannot edit in place (a block
// scalar) is still rewritten, by re-encoding the document.
func TestIssuerPassReEncodes(t *testing.T) {
	in := "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: c\nspec:\n  issuerRef:\n    name: >-\n      letsencrypt\n"
	got, report := issuerRewrite(t, internalCA, in)
	if report.ReEncoded != 1 {
		t.Errorf("ReEncoded = %d, want 1", report.ReEncoded)
	}
	var doc struct {
		Spec struct {
			IssuerRef map[string]string `yaml:"issuerRef"`
		}
	}
	if err := yaml.Unmarshal([]byte(got), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Spec.IssuerRef["name"] != "internal-ca" || doc.Spec.IssuerRef["kind"] != "ClusterIssuer" {
		t.Errorf("issuerRef = %v", doc.Spec.IssuerRef)
	}
}

func TestConfigPasses(t *testing.T) {
	if ConfigPasses(nil) != nil || ConfigPasses(&config.Config{}) != nil {
		t.Error("a config without issuer: asks for no pass")
	}
	cfg, err := config.Parse([]byte("issuer: {name: platform-ca, kind: Issuer}\n"), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	passes := ConfigPasses(cfg)
	if len(passes) != 1 {
		t.Fatalf("%d passes, want the issuer rewrite", len(passes))
	}
	m, err := (&config.Config{Mirror: "registry.internal.example.com/m"}).Compile()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	in := "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: w\n  annotations:\n    cert-manager.io/cluster-issuer: le\n"
	if _, err := Run(strings.NewReader(in), &out, Options{Mapper: m, Passes: passes}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "cert-manager.io/issuer: platform-ca\n") {
		t.Errorf("output:\n%s", out.String())
	}
}
