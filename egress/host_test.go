package egress

import (
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	registries := map[string]bool{"registry.internal.example.com": true, "harbor.corp.io:5000": true}
	c := &Classifier{
		InternalDomains: []string{"plexicus.ai", "*.corp.io"},
		IsInternalHost:  func(h string) bool { return registries[h] },
	}
	tests := []struct {
		host, port string
		want       Class
	}{
		// Cluster and private names.
		{"postgresql", "", Internal},
		{"postgresql.platform.svc", "", Internal},
		{"postgresql.platform.svc.cluster.local", "", Internal},
		{"kube-dns.kube-system.svc.cluster.local.", "", Internal},
		{"etcd.cluster.local", "", Internal},
		{"metadata.google.internal", "", Internal},
		{"printer.local", "", Internal},
		{"router.home.arpa", "", Internal},
		{"gitlab.corp", "", Internal},
		{"nas.intranet", "", Internal},
		{"db.unknown-tld-xyz", "", Internal},
		{"localhost", "", Internal},
		// Config: internal domains (with or without "*.") and registries.
		{"app.plexicus.ai", "", Internal},
		{"plexicus.ai", "", Internal},
		{"git.corp.io", "", Internal},
		{"harbor.corp.io", "5000", Internal},
		{"notplexicus.ai", "", Public},
		// Addresses.
		{"10.1.2.3", "", Internal},
		{"172.20.0.1", "", Internal},
		{"192.168.1.1", "", Internal},
		{"127.0.0.1", "", Internal},
		{"0.0.0.0", "", Internal},
		{"169.254.169.254", "", Internal},
		{"100.64.0.1", "", Internal},
		{"::1", "", Internal},
		{"fd00::1", "", Internal},
		{"fe80::1", "", Internal},
		{"[::1]", "", Internal},
		{"8.8.8.8", "", Public},
		{"2001:4860:4860::8888", "", Public},
		{"::ffff:8.8.8.8", "", Public},
		// RFC 2606 / 6761 and documentation ranges: never endpoints.
		{"example.com", "", Reserved},
		{"docs.example.com", "", Reserved},
		{"www.example.org", "", Reserved},
		{"example.net", "", Reserved},
		{"service.example", "", Reserved},
		{"my.test", "", Reserved},
		{"nowhere.invalid", "", Reserved},
		{"app.localhost", "", Reserved},
		{"192.0.2.10", "", Reserved},
		{"203.0.113.5", "", Reserved},
		{"2001:db8::1", "", Reserved},
		{"1.2.3", "", Reserved},
		{"", "", Reserved},
		{"bad..name", "", Reserved},
		// Public names.
		{"api.openai.com", "", Public},
		{"API.OpenAI.COM.", "", Public},
		{"myres.openai.azure.com", "", Public},
		{"foo.github.io", "", Public},
		{"bbc.co.uk", "", Public},
		{"smtp.gmail.com", "587", Public},
		{"example.com.evil.io", "", Public},
	}
	for _, tt := range tests {
		if got := c.Classify(tt.host, tt.port); got != tt.want {
			t.Errorf("Classify(%q, %q) = %v, want %v", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct{ host, service string }{
		{"acme-v02.api.letsencrypt.org", "Let's Encrypt ACME directory"},
		{"ACME-STAGING-V02.api.letsencrypt.org.", "Let's Encrypt staging ACME directory"},
		{"acme.zerossl.com", "ZeroSSL ACME directory"},
		{"dv.acme-v02.api.pki.goog", "Google Trust Services ACME directory"},
		{"accounts.google.com", "Google OAuth / OpenID Connect"},
		{"oauth2.googleapis.com", "Google OAuth / OpenID Connect"},
		{"api.openai.com", "OpenAI API"},
		{"plexicus-prod.openai.azure.com", "Azure OpenAI"},
		{"challenges.cloudflare.com", "Cloudflare Turnstile"},
		{"stats.grafana.org", "Grafana usage statistics"},
		{"grafana.com", "Grafana.com (update checks, plugin catalogue)"},
		{"subnet.min.io", "MinIO SUBNET (call-home, licensing)"},
		{"ns.acct.tmprl.cloud", "Temporal Cloud"},
		{"8.8.8.8", "public DNS resolver"},
		{"openai.azure.com", ""}, // "*." needs a subdomain
		{"evilopenai.com", ""},
		{"letsencrypt.org", ""},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.host)
		if got.Service != tt.service || ok != (tt.service != "") {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tt.host, got.Service, ok, tt.service)
		}
	}
}

// TestKnownTargetsAreWellFormed keeps the known targets usable: every entry has a
// service and a hint, every host pattern is a valid public name, and no host
// is listed twice.
func TestKnownTargetsAreWellFormed(t *testing.T) {
	c := &Classifier{}
	seen := map[string]bool{}
	for _, target := range knownTargets {
		if target.Service == "" || target.Hint == "" || len(target.Hosts) == 0 {
			t.Errorf("incomplete known target %+v", target)
		}
		for _, h := range target.Hosts {
			if seen[h] {
				t.Errorf("%s is listed twice", h)
			}
			seen[h] = true
			name := strings.TrimPrefix(h, "*.")
			if strings.HasPrefix(h, "*.") {
				name = "x." + name
			}
			if c.Classify(name, "") != Public {
				t.Errorf("known target host %s is not classified public", h)
			}
		}
	}
}
