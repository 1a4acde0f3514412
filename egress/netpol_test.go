package egress

import (
	"strings"
	"testing"
)

// workloadDoc is a Deployment in namespace ns whose pods carry labels.
func workloadDoc(name, ns, labels string) string {
	return `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ` + name + `, namespace: ` + ns + `}
spec:
  template:
    metadata: {labels: ` + labels + `}
    spec:
      containers: [{name: c, image: nginx}]
`
}

func TestNetworkPolicyCoverage(t *testing.T) {
	workloads := workloadDoc("api", "platform", "{app: api, tier: backend}") +
		workloadDoc("web", "platform", "{app: web}") +
		workloadDoc("other", "elsewhere", "{app: api}") +
		`---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: platform}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: backup}}
        spec:
          containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug, labels: {app: debug}}
spec:
  containers: [{name: c, image: nginx}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary, namespace: platform}
spec:
  template:
    metadata: {labels: {app: canary}}
    spec:
      containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: PodTemplate
metadata: {name: tmpl, namespace: platform}
template:
  spec:
    containers: [{name: c, image: nginx}]
`
	policy := func(name, ns, body string) string {
		return "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + name + ", namespace: " + ns + "}\nspec:\n" + body
	}
	tests := []struct {
		name     string
		policies string
		want     string // "name=status" for every workload, in stream order
	}{
		{"no policies", "",
			"api=none web=none other=none backup=none debug=none canary=none"},
		{"default deny in the namespace", policy("deny", "platform", "  podSelector: {}\n  policyTypes: [Egress]\n"),
			"api=restricted web=restricted other=none backup=restricted debug=restricted canary=restricted"},
		{"ingress-only policies do not count", policy("in", "platform", "  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]\n") +
			policy("in-default", "platform", "  podSelector: {}\n  ingress: [{}]\n"),
			"api=none web=none other=none backup=none debug=none canary=none"},
		{"policyTypes defaults to Egress when egress rules exist", policy("implicit", "platform", "  podSelector: {matchLabels: {app: web}}\n  egress:\n    - to: [{podSelector: {}}]\n"),
			"api=none web=restricted other=none backup=none debug=none canary=none"},
		{"empty rule allows everything", policy("open", "platform", "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress: [{}]\n"),
			"api=allows-all web=none other=none backup=none debug=none canary=none"},
		{"match expressions", policy("expr", "platform", `  podSelector:
    matchExpressions:
      - {key: tier, operator: In, values: [backend]}
      - {key: legacy, operator: DoesNotExist}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {}}]}]
`) + policy("notin", "platform", `  podSelector:
    matchExpressions:
      - {key: app, operator: NotIn, values: [api, web, debug]}
      - {key: app, operator: Exists}
  policyTypes: [Egress]
`),
			"api=restricted web=none other=none backup=restricted debug=none canary=restricted"},
		{"unknown operator selects nothing", policy("bad", "platform", "  podSelector: {matchExpressions: [{key: app, operator: Gt, values: ['1']}]}\n  policyTypes: [Egress]\n"),
			"api=none web=none other=none backup=none debug=none canary=none"},
		{"ports to anywhere, DNS, and ip blocks", policy("https", "platform", `  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 443}]
`) + policy("dns", "platform", `  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
    - to: [{ipBlock: {cidr: 10.0.0.0/8}}, {ipBlock: {cidr: 192.168.10.0/24}}]
`) + policy("world", "platform", `  podSelector: {matchLabels: {app: canary}}
  policyTypes: [Egress]
  egress:
    - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
`),
			"api=restricted web=allows-internet-ports other=none backup=none debug=none canary=allows-all"},
		{"policies add up", policy("deny", "platform", "  podSelector: {}\n  policyTypes: [Egress]\n") +
			policy("open-web", "platform", "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n  egress: [{}]\n"),
			"api=restricted web=allows-all other=none backup=restricted debug=restricted canary=restricted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAudit(t, Options{}, workloads+tt.policies)
			var got []string
			for _, w := range r.Workloads {
				got = append(got, w.Name+"="+w.Egress)
			}
			if strings.Join(got, " ") != tt.want {
				t.Errorf("coverage\n got: %s\nwant: %s", strings.Join(got, " "), tt.want)
			}
		})
	}
}

func TestACMEIssuers(t *testing.T) {
	in := `
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec:
  acme: {server: "https://acme-v02.api.letsencrypt.org/directory"}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: step, namespace: platform}
spec:
  acme: {server: "https://step-ca.platform.svc:9000/acme/acme/directory"}
---
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: zerossl, namespace: platform}
spec:
  acme: {server: "https://acme.zerossl.com/v2/DV90"}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: ca}
spec:
  ca: {secretName: ca}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: platform
  annotations: {cert-manager.io/cluster-issuer: letsencrypt}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: platform
  annotations: {cert-manager.io/issuer: zerossl}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: other-ns, namespace: elsewhere}
spec:
  issuerRef: {name: zerossl}
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: api, namespace: platform}
spec:
  issuerRef: {name: letsencrypt, kind: ClusterIssuer}
`
	describe := func(r *Report) string {
		var parts []string
		for _, i := range r.Issuers {
			parts = append(parts, i.Name+"="+map[bool]string{true: "public", false: "internal"}[i.Public]+"["+strings.Join(i.UsedBy, ";")+"]")
		}
		return strings.Join(parts, " ")
	}
	r := runAudit(t, Options{Strict: true}, in)
	want := "letsencrypt=public[Ingress platform/web;Certificate platform/api] step=internal[] zerossl=public[Gateway platform/gw]"
	if got := describe(r); got != want {
		t.Errorf("issuers\n got: %s\nwant: %s", got, want)
	}
	if r.Summary.PublicACMEIssuers != 2 || !r.Failed {
		t.Errorf("public ACME issuers %d, failed %v; want 2, true", r.Summary.PublicACMEIssuers, r.Failed)
	}
	// With the issuer rewrite in the same run, nothing uses them any more;
	// an allow rule exempts one.
	r = runAudit(t, Options{Strict: true, InternalIssuer: "internal-ca", Allow: []AllowRule{{Host: "acme.zerossl.com"}}}, in)
	want = "letsencrypt=public[] step=internal[] zerossl=public[]"
	if got := describe(r); got != want {
		t.Errorf("issuers with the rewrite\n got: %s\nwant: %s", got, want)
	}
	if r.Summary.PublicACMEIssuers != 1 {
		t.Errorf("public ACME issuers %d, want 1 (zerossl is allowed)", r.Summary.PublicACMEIssuers)
	}
}

func TestStrict(t *testing.T) {
	clean := workloadDoc("api", "platform", "{app: api}") + `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: platform}
spec: {podSelector: {}, policyTypes: [Egress]}
`
	public := clean + `---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: platform}
data: {u: "https://api.openai.com"}
`
	open := workloadDoc("api", "platform", "{app: api}")
	tests := []struct {
		name, in          string
		strict, requireNP bool
		failed            bool
	}{
		{"clean strict", clean, true, true, false},
		{"public endpoint, not strict", public, false, true, false},
		{"public endpoint, strict", public, true, true, true},
		{"unrestricted workload, strict", open, true, true, true},
		{"unrestricted workload, policy not required", open, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAudit(t, Options{Strict: tt.strict, RequireNetworkPolicy: tt.requireNP}, tt.in)
			if r.Failed != tt.failed {
				t.Errorf("failed = %v, want %v (summary %+v)", r.Failed, tt.failed, r.Summary)
			}
		})
	}
}
