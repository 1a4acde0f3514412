package config

import (
	"github.com/plexicus/helm-airgap/egress/egressconfig"
	"strings"
	"testing"
)

func TestEgressConfig(t *testing.T) {
	cfg, err := Parse([]byte(`
mirror: registry.internal.example.com/mirror
egress:
  enabled: true
  strict: true
  internalDomains: [corp.example.com, "*.plexicus.ai"]
  requireNetworkPolicy: false
  allow:
    - host: "*.openai.azure.com"
    - {kind: Deployment, namespace: platform, name: api, field: "spec.template.spec.containers[api].env[SMTP_HOST]"}
issuer: internal-ca
`), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Compile(); err != nil {
		t.Fatal(err)
	}
	e := cfg.Egress
	if !e.Enabled || !e.Strict || len(e.InternalDomains) != 2 || len(e.Allow) != 2 || e.Allow[1].Field == "" || e.RequiresNetworkPolicy() {
		t.Errorf("egress = %+v", e)
	}
	if cfg.Issuer.Name != "internal-ca" || cfg.Issuer.IssuerKind() != egressconfig.ClusterIssuer {
		t.Errorf("issuer = %+v, want internal-ca, a ClusterIssuer by default", cfg.Issuer)
	}
	var none *egressconfig.Egress
	if !none.RequiresNetworkPolicy() || !(&egressconfig.Egress{}).RequiresNetworkPolicy() {
		t.Error("requireNetworkPolicy defaults to true")
	}

	cfg, err = Parse([]byte("issuer: {name: platform-ca, kind: Issuer}\n"), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Issuer.Name != "platform-ca" || cfg.Issuer.IssuerKind() != egressconfig.NamespacedIssuer {
		t.Errorf("issuer = %+v", cfg.Issuer)
	}
}

func TestEgressConfigErrors(t *testing.T) {
	tests := []struct {
		name, config string
		want         []string // substrings of the error, file:line and key included
	}{
		{"unknown egress key", "egress:\n  enabled: true\n  stirct: true\n", []string{"airgap.yaml:3: egress.stirct: unknown key"}},
		{"unknown allow key", "egress:\n  allow:\n    - hots: api.openai.com\n", []string{"airgap.yaml:3: egress.allow[0].hots: unknown key"}},
		{"unknown issuer key", "issuer:\n  name: ca\n  knd: Issuer\n", []string{"airgap.yaml:3: issuer.knd: unknown key"}},
		{"issuer kind", "issuer: {name: ca, kind: Vault}\n", []string{"airgap.yaml:1: issuer.kind: invalid issuer kind \"Vault\""}},
		{"issuer name", "issuer: Internal_CA\n", []string{"airgap.yaml:1: issuer: invalid issuer name \"Internal_CA\""}},
		{"ambiguous issuer name", "issuer: \"on\"\n", []string{"would be read as a number or boolean"}},
		{"numeric issuer name", "issuer: \"1e3\"\n", []string{"would be read as a number or boolean"}},
		{"internal domain", "egress:\n  internalDomains: [ok.example.com, \"bad domain\", \"a.*.com\"]\n",
			[]string{"airgap.yaml:2: egress.internalDomains[1]: invalid domain \"bad domain\"", "egress.internalDomains[2]: invalid domain \"a.*.com\""}},
		{"empty allow rule", "egress:\n  allow:\n    - {}\n", []string{"airgap.yaml:3: egress.allow[0]: an allow rule needs at least one of"}},
		{"allow host", "egress:\n  allow:\n    - host: \"https://api.openai.com\"\n", []string{"airgap.yaml:3: egress.allow[0].host: invalid host pattern"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.config), "airgap.yaml")
			if err == nil {
				_, err = cfg.Compile()
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestIssuerFlag(t *testing.T) {
	tests := []struct{ in, name, kind, err string }{
		{"internal-ca", "internal-ca", egressconfig.ClusterIssuer, ""},
		{"ClusterIssuer/internal-ca", "internal-ca", egressconfig.ClusterIssuer, ""},
		{"Issuer/platform-ca", "platform-ca", egressconfig.NamespacedIssuer, ""},
		{"Vault/x", "", "", "want NAME, ClusterIssuer/NAME or Issuer/NAME"},
		{"Issuer/", "", "", "want NAME"},
		{"", "", "", "want NAME"},
	}
	for _, tt := range tests {
		is, err := egressconfig.ParseIssuerFlag(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseIssuerFlag(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || is.Name != tt.name || is.IssuerKind() != tt.kind {
			t.Errorf("ParseIssuerFlag(%q) = %+v, %v", tt.in, is, err)
		}
	}
	// A bad name from the flag is reported as the flag's, not the file's.
	cfg, err := Parse([]byte("issuer: file-ca\n"), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	is, _ := egressconfig.ParseIssuerFlag("Bad_Name")
	cfg.SetIssuer(is, "--issuer Bad_Name")
	if _, err := cfg.Compile(); err == nil || !strings.HasPrefix(err.Error(), "--issuer Bad_Name: invalid issuer name") {
		t.Errorf("error = %v, want one naming --issuer", err)
	}
}
