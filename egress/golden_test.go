package egress

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/egress/")

// caseDir holds the umbrella case: manifests, config and golden reports.
const caseDir = "../testdata/egress"

// auditWithConfig runs the audit the way the CLI does: the config's
// registries, internal domains and allow rules.
func auditWithConfig(t *testing.T, configPath, input string, strict bool) *Report {
	t.Helper()
	cfg, err := config.LoadFile(configPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	o := Options{Classifier: Classifier{IsInternalHost: m.IsInternal}, Strict: strict, RequireNetworkPolicy: cfg.Egress.RequiresNetworkPolicy()}
	if cfg.Egress != nil {
		o.Classifier.InternalDomains = cfg.Egress.InternalDomains
		for _, a := range cfg.Egress.Allow {
			o.Allow = append(o.Allow, AllowRule{Host: a.Host, Kind: a.Kind, Namespace: a.Namespace, Name: a.Name, Field: a.Field})
		}
	}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	opts := rewrite.Options{Mapper: m, Passes: []rewrite.Pass{a.Pass()}, CheckOnly: true}
	if _, err := rewrite.Run(strings.NewReader(input), new(bytes.Buffer), opts); err != nil {
		var policy *rewrite.PolicyError
		if !errors.As(err, &policy) {
			t.Fatal(err) // an image policy failure is fine: only the audit is checked here
		}
	}
	return a.Report()
}

// golden compares got with a golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./egress -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s\n(run with -update after checking the change)", path, got)
	}
}

// TestUmbrellaReport is the case: an umbrella release with
// Turnstile, Google OAuth and OpenAI settings, a Let's Encrypt ClusterIssuer
// and an Ingress annotated for it, embedded config files, a Secret, and
// NetworkPolicies; the JSON and text reports are golden files.
func TestUmbrellaReport(t *testing.T) {
	input, err := os.ReadFile(filepath.Join(caseDir, "umbrella.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := auditWithConfig(t, filepath.Join(caseDir, "airgap.yaml"), string(input), false)
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join(caseDir, "report.golden.json"), js.Bytes())
	var text bytes.Buffer
	r.WriteText(&text, true)
	golden(t, filepath.Join(caseDir, "report.golden.txt"), text.Bytes())

	// What the issue names must be there, whatever the golden files say.
	hosts := map[string]bool{}
	for _, f := range r.Endpoints {
		hosts[f.Host] = true
	}
	for _, h := range []string{"challenges.cloudflare.com", "accounts.google.com", "oauth2.googleapis.com", "api.openai.com",
		"plexicus-prod.openai.azure.com", "acme-v02.api.letsencrypt.org", "subnet.min.io", "grafana.net"} {
		if !hosts[h] {
			t.Errorf("%s is not reported", h)
		}
	}
	for _, h := range []string{"smtp.sendgrid.net", "app.plexicus.ai", "docs.example.com", "www.w3.org", "json-schema.org",
		"schemas.plexicus.ai", "docs.plexicus.ai", "logback.qos.ch", "github.com", "raw.githubusercontent.com", "169.254.169.254"} {
		if hosts[h] {
			t.Errorf("%s is reported, but it is allowed, internal or not an endpoint", h)
		}
	}
	if len(r.Issuers) != 1 || !r.Issuers[0].Public || strings.Join(r.Issuers[0].UsedBy, ",") != "Ingress platform/web,Certificate platform/api-tls" {
		t.Errorf("issuers = %+v, want letsencrypt-prod, public, used by the Ingress and the Certificate", r.Issuers)
	}
	// The JSON report is what CI reads: it must decode into the same report.
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Summary != r.Summary || len(back.Endpoints) != len(r.Endpoints) || len(back.Workloads) != len(r.Workloads) {
		t.Errorf("the JSON report does not round-trip: %+v", back.Summary)
	}
}

// TestFalsePositives: a stream full of URLs and names that are not
// endpoints a workload calls reports nothing.
func TestFalsePositives(t *testing.T) {
	input, err := os.ReadFile(filepath.Join(caseDir, "false-positives.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := runAudit(t, Options{}, string(input))
	if len(r.Endpoints) > 0 {
		t.Errorf("false positives:\n%s", strings.Join(found(r), "\n"))
	}
	if r.Summary.Documents < 5 {
		t.Errorf("only %d documents scanned", r.Summary.Documents)
	}
}

// TestCorpus runs the audit over every rendered chart of the shared corpus
// (testdata/corpus): none of them sets a public endpoint, and the workload
// and NetworkPolicy findings are golden files.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("../testdata/corpus/*-a-all.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files in ../testdata/corpus (%v)", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), "-a-all.yaml")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			r := runAudit(t, Options{}, string(input))
			if len(r.Endpoints) > 0 {
				t.Errorf("public endpoints in %s:\n%s", name, strings.Join(found(r), "\n"))
			}
			var b bytes.Buffer
			if err := r.WriteJSON(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(caseDir, "corpus", name+".golden.json"), b.Bytes())
		})
	}
}
