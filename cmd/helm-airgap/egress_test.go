package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// egressCase is the umbrella case of the egress audit.
var egressCase = filepath.Join("..", "..", "testdata", "egress")

// egressExec runs the real helm-airgap binary, with no report file, in its
// own session (no controlling terminal to write to).
func egressExec(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testtool.Command(t, "helm-airgap"), args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_AIRGAP_") && !strings.HasPrefix(kv, "ARGOCD_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HELM_AIRGAP_REPORT=off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func readEgressCase(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(egressCase, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestEgressCLI walks the umbrella case through the binary: rewrite with
// the config's issuer and audit (warnings), then check on the result in
// text and JSON, then --strict.
func TestEgressCLI(t *testing.T) {
	config := filepath.Join(egressCase, "airgap.yaml")
	input := readEgressCase(t, "umbrella.yaml")

	rewritten, stderr, code := egressExec(t, input, "rewrite", "-c", config)
	if code != 0 {
		t.Fatalf("rewrite: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"helm-airgap: egress warning: 17 public endpoint(s) the release would call:",
		"challenges.cloudflare.com (Cloudflare Turnstile), 1:",
		"Deployment platform/api: spec.template.spec.containers[api].env[OPENAI_API_BASE].value: https://api.openai.com/v1 (document 6, line 134)",
		"ClusterIssuer letsencrypt-prod: spec.acme.server: https://acme-v02.api.letsencrypt.org/directory (document 1, line 9)\n",
		"Deployment platform/api: not restricted: no NetworkPolicy with Egress selects its pods",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("rewrite stderr lacks %q:\n%s", want, stderr)
		}
	}
	// The issuer rewrite ran; nothing names Let's Encrypt but its own issuer.
	for _, want := range []string{`cert-manager.io/cluster-issuer: "internal-ca"`, "    name: internal-ca\n    kind: ClusterIssuer\n",
		"registry.internal.example.com/plexicus/api:1.4.2"} {
		if !strings.Contains(rewritten, want) {
			t.Errorf("rewrite output lacks %q", want)
		}
	}
	if strings.Count(rewritten, "letsencrypt-prod\n") != 1 || strings.Contains(rewritten, `"letsencrypt-prod"`) {
		t.Errorf("letsencrypt-prod is still referenced:\n%s", rewritten)
	}

	// check --egress on the rewritten stream: warnings, exit 0.
	_, stderr, code = egressExec(t, rewritten, "check", "-c", config, "--egress")
	if code != 0 || !strings.Contains(stderr, "17 public endpoint(s)") || !strings.Contains(stderr, "no public references") {
		t.Errorf("check --egress: exit %d\n%s", code, stderr)
	}

	// --output json: the report on stdout, for CI.
	stdout, stderr, code := egressExec(t, rewritten, "check", "-c", config, "--output", "json")
	if code != 0 {
		t.Fatalf("check --output json: exit %d\n%s", code, stderr)
	}
	var report egress.Report
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("check --output json: %v\n%s", err, stdout)
	}
	if report.Summary.PublicEndpoints != 17 || report.Summary.AllowedEndpoints != 2 || report.Summary.PublicACMEIssuers != 1 ||
		len(report.Workloads) != 4 || report.Failed {
		t.Errorf("JSON summary = %+v, failed %v", report.Summary, report.Failed)
	}
	if len(report.Issuers) != 1 || len(report.Issuers[0].UsedBy) != 0 {
		t.Errorf("after the issuer rewrite nothing uses letsencrypt-prod; issuers = %+v", report.Issuers)
	}

	// --strict: exit 1, with the report, and the JSON says failed.
	_, stderr, code = egressExec(t, rewritten, "check", "-c", config, "--strict")
	if code != 1 || !strings.Contains(stderr, "helm-airgap: egress error: 17 public endpoint(s)") ||
		!strings.Contains(stderr, "egress audit failed: 17 public endpoint(s), 1 issuer(s) with a public ACME server, 3 workload(s)") {
		t.Errorf("check --strict: exit %d\n%s", code, stderr)
	}
	stdout, _, code = egressExec(t, rewritten, "check", "-c", config, "--strict", "--output", "json")
	if code != 1 || !strings.Contains(stdout, `"failed": true`) {
		t.Errorf("check --strict --output json: exit %d\n%s", code, stdout)
	}

	// rewrite --strict: exit 1 and nothing on stdout.
	stdout, stderr, code = egressExec(t, input, "rewrite", "-c", config, "--strict")
	if code != 1 || stdout != "" || !strings.Contains(stderr, "egress audit failed") {
		t.Errorf("rewrite --strict: exit %d, %d bytes on stdout\n%s", code, len(stdout), stderr)
	}
}

// TestEgressStrictRewritePasses: a strict audit that passes writes exactly
// the stream a plain rewrite writes.
func TestEgressStrictRewritePasses(t *testing.T) {
	input := `apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: platform}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: docker.io/library/nginx:1.27
          env:
            - {name: LLM_URL, value: "https://llm.ai.plexicus.io/v1"}
            - {name: SMTP_HOST, value: smtp.sendgrid.net}
            - {name: DB, value: "postgres://db.platform.svc:5432/app"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: platform}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to: [{namespaceSelector: {}}]
`
	args := []string{"--mirror", "registry.internal.example.com/mirror", "--internal-domain", "plexicus.io", "--allow-endpoint", "*.sendgrid.net"}
	plain, stderr, code := egressExec(t, input, append([]string{"rewrite"}, args...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("rewrite: exit %d\n%s", code, stderr)
	}
	strict, stderr, code := egressExec(t, input, append([]string{"rewrite", "--strict"}, args...)...)
	if code != 0 || strict != plain || stderr != "" {
		t.Errorf("rewrite --strict: exit %d, output equal %v\n%s", code, strict == plain, stderr)
	}
	if !strings.Contains(strict, "registry.internal.example.com/mirror/library/nginx:1.27") {
		t.Errorf("not rewritten:\n%s", strict)
	}
	// Without the internal domain and the allowed host, the same run fails.
	_, stderr, code = egressExec(t, input, "rewrite", "--strict", "--mirror", "registry.internal.example.com/mirror")
	if code != 1 || !strings.Contains(stderr, "llm.ai.plexicus.io") || !strings.Contains(stderr, "smtp.sendgrid.net") {
		t.Errorf("rewrite --strict without allowances: exit %d\n%s", code, stderr)
	}
}

func TestEgressIssuerFlag(t *testing.T) {
	input := readEgressCase(t, "issuer/input.yaml")
	out, stderr, code := egressExec(t, input, "rewrite", "--mirror", "registry.internal.example.com/mirror", "--issuer", "Issuer/platform-ca")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{`cert-manager.io/issuer: "platform-ca"`, `'cert-manager.io/issuer': 'platform-ca'`, `"issuerRef": {"name": "platform-ca", "kind": "Issuer"}`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The flag replaces the config's issuer.
	out, _, _ = egressExec(t, input, "rewrite", "-c", filepath.Join(egressCase, "airgap.yaml"), "--issuer", "other-ca")
	if !strings.Contains(out, `cert-manager.io/cluster-issuer: "other-ca"`) || strings.Contains(out, "internal-ca") {
		t.Errorf("--issuer does not replace the config's issuer:\n%s", out)
	}
}

func TestEgressUsageErrors(t *testing.T) {
	dir := t.TempDir()
	badConfig := filepath.Join(dir, "airgap.yaml")
	if err := os.WriteFile(badConfig, []byte("mirror: registry.internal.example.com/m\negress:\n  allow:\n    - host: \"https://x\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"rewrite", "--issuer", "Vault/x"}, `--issuer: parsing issuer "Vault/x"`},
		{[]string{"rewrite", "--mirror", "registry.internal.example.com/m", "--issuer", "Bad_Name"}, `--issuer Bad_Name: invalid issuer name "Bad_Name"`},
		{[]string{"check", "--output", "yaml"}, `--output: unknown format "yaml"`},
		{[]string{"check", "--allow-endpoint", "not a host"}, "--allow-endpoint: invalid host pattern"},
		{[]string{"check", "-c", badConfig}, "airgap.yaml:4: egress.allow[0].host: invalid host pattern"},
	}
	for _, tt := range tests {
		stdout, stderr, code := egressExec(t, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", tt.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stdout %q\n%s\nwant %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}
