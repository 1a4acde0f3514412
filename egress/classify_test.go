package egress

import (
	"slices"
	"strings"
	"testing"
)

// TestNotCalledAndProxies: values that name endpoints the release does not
// call (CORS origins, Content-Security-Policy sources, User-Agent strings,
// PromQL label matchers, the app's own public URL, proxy exemptions) are
// not reported; proxy settings, which every outbound call goes through, are.
func TestNotCalledAndProxies(t *testing.T) {
	const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.internal.example.com/app:1
`
	env := func(name, value string) string {
		return deployment + "          env:\n            - name: " + name + "\n              value: " + quote(value) + "\n"
	}
	args := func(list ...string) string {
		s := deployment + "          args:\n"
		for _, a := range list {
			s += "            - " + quote(a) + "\n"
		}
		return s
	}
	const envField = "Deployment app: spec.template.spec.containers[app].env["
	tests := []struct {
		name, in string
		want     []string
	}{
		// Not called by the release.
		{"CORS origins in env", env("CORS_ALLOWED_ORIGINS", "https://app.mycompany.com,https://admin.mycompany.com"), nil},
		{"CORS origins in a config file", `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  config.yaml: |
    server:
      cors:
        allowedOrigins: ["https://app.mycompany.com"]
      allowOrigin: https://app.mycompany.com
      trustedOrigins: [https://admin.mycompany.com]
`, nil},
		{"CORS annotation", `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/cors-allow-origin: "https://app.mycompany.com, https://admin.mycompany.com"
spec: {}
`, nil},
		{"CSP in env", env("CONTENT_SECURITY_POLICY", "default-src 'self'; connect-src https://api.mycompany.com; img-src https://cdn.mycompany.com"), nil},
		{"CSP header in an nginx config", `apiVersion: v1
kind: ConfigMap
metadata: {name: nginx}
data:
  nginx.conf: |
    server {
      add_header Content-Security-Policy "default-src 'self'; script-src https://cdn.mycompany.com" always;
      add_header Access-Control-Allow-Origin https://app.mycompany.com;
      proxy_pass https://api.mycompany.com;
    }
`, []string{"ConfigMap nginx: data[nginx.conf]: https://api.mycompany.com"}},
		{"CSP value without a CSP key", env("SECURITY_HEADERS", "default-src 'self' https://cdn.mycompany.com"), nil},
		{"User-Agent", env("USER_AGENT", "Mozilla/5.0 (compatible; AppBot/2.1; +https://www.mycompany.com/bot.html)"), nil},
		{"User-Agent-like value", env("CRAWLER_UA", "Mozilla/5.0 (compatible; AppBot/2.1; +https://www.mycompany.com/bot.html)"), nil},
		{"PromQL label matchers", `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: probes}
spec:
  groups:
    - name: blackbox
      rules:
        - alert: SiteDown
          expr: probe_success{instance="https://www.mycompany.com", job=~"blackbox|api.mycompany.com:443"} == 0
`, nil},
		{"PromQL in a dashboard", `apiVersion: v1
kind: ConfigMap
metadata: {name: dash}
data:
  dash.json: '{"panels": [{"targets": [{"expr": "rate(http_requests_total{host=\"api.mycompany.com\"}[5m])"}]}]}'
`, nil},
		{"the app's public URL", env("PUBLIC_URL", "https://app.mycompany.com"), nil},
		{"Grafana root URL", env("GF_SERVER_ROOT_URL", "https://grafana.mycompany.com/"), nil},
		{"external URL flag", args("--web.external-url=https://prometheus.mycompany.com"), nil},
		{"NextAuth URL", env("NEXTAUTH_URL", "https://app.mycompany.com"), nil},
		{"no-proxy list", env("NO_PROXY", "localhost,.svc,api.mycompany.com,github.com"), nil},
		{"java non-proxy hosts", env("JAVA_OPTS", "-Dhttp.nonProxyHosts=localhost|*.mycompany.com|github.com"), nil},
		{"a CRD's API approval link", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gateways.gateway.networking.k8s.io
  annotations:
    api-approved.kubernetes.io: https://github.com/kubernetes-sigs/gateway-api/pull/1538
spec: {}
`, nil},
		{"a compliance report's reading list", `apiVersion: aquasecurity.github.io/v1alpha1
kind: ClusterComplianceReport
metadata: {name: k8s-cis}
spec:
  compliance:
    relatedResources:
      - https://www.cisecurity.org/benchmark/kubernetes
`, nil},
		{"a URL a script prints", args("-c", "echo 'ready'\necho -e \"\\nSee https://github.com/org/charts/blob/main/docs/Console.md for examples.\"\nsleep infinity"), nil},
		// Still reported: these are called.
		{"a URL a script fetches and prints", args("-c", "echo \"$(curl -s https://api.mycompany.com/status)\""), []string{"Deployment app: spec.template.spec.containers[app].args[1]: https://api.mycompany.com/status"}},
		{"a base URL is called", env("OPENAI_BASE_URL", "https://api.openai.com/v1"), []string{envField + "OPENAI_BASE_URL].value: https://api.openai.com/v1"}},
		{"URL next to a PromQL matcher", `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: probes}
spec:
  groups:
    - name: g
      rules:
        - alert: Down
          expr: up{job="api"} == 0
          annotations:
            runbook: https://runbooks.mycompany.com/down
            webhook: https://hooks.slack.com/services/x
`, []string{"PrometheusRule probes: spec.groups[g].rules[0].annotations.webhook: https://hooks.slack.com/services/x"}},
		{"an API root URL is called", env("API_ROOT_URL", "https://api.mycompany.com/v2"), []string{envField + "API_ROOT_URL].value: https://api.mycompany.com/v2"}},
		{"a git origin is called", env("GIT_ORIGIN", "https://github.com/org/config.git"), []string{envField + "GIT_ORIGIN].value: https://github.com/org/config.git"}},
		{"a shell default is not PromQL", env("START", `exec app --api "${API_URL="https://api.mycompany.com"}"`), []string{envField + "START].value: https://api.mycompany.com"}},
		// Proxies: reported.
		{"HTTPS_PROXY URL", env("HTTPS_PROXY", "http://proxy.mycompany.com:3128"), []string{envField + "HTTPS_PROXY].value: http://proxy.mycompany.com:3128"}},
		{"HTTP_PROXY host:port", env("HTTP_PROXY", "proxy.mycompany.com:3128"), []string{envField + "HTTP_PROXY].value: proxy.mycompany.com:3128"}},
		{"https_proxy bare host", env("https_proxy", "proxy.mycompany.com"), []string{envField + "https_proxy].value: proxy.mycompany.com"}},
		{"java proxy properties", env("JAVA_OPTS", "-Xmx1g -Dhttp.proxyHost=proxy.mycompany.com -Dhttp.proxyPort=3128 -Dhttps.proxyHost=sproxy.mycompany.com -Dhttp.nonProxyHosts=localhost|*.svc"),
			[]string{envField + "JAVA_OPTS].value: proxy.mycompany.com:3128", envField + "JAVA_OPTS].value: sproxy.mycompany.com"}},
		{"java proxy property as an argument", args("-Dhttps.proxyHost=proxy.mycompany.com", "-Dhttps.proxyPort=8443", "-jar", "app.jar"),
			[]string{"Deployment app: spec.template.spec.containers[app].args[0]: proxy.mycompany.com"}},
		{"internal proxy is internal", env("JAVA_OPTS", "-Dhttp.proxyHost=proxy.corp.internal -Dhttp.proxyPort=3128"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(runAudit(t, Options{}, tt.in))
			if !slices.Equal(got, tt.want) {
				t.Errorf("found\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

// quote writes a YAML double-quoted string.
func quote(s string) string {
	out := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(append(out, '"'))
}

// FuzzCalled: classifying any value never panics, keeps only endpoints it
// was given or proxies found in the value, and marks each one.
func FuzzCalled(f *testing.F) {
	f.Add("JAVA_OPTS", "-Dhttp.proxyHost=proxy.example.org -Dhttp.proxyPort=3128")
	f.Add("expr", `up{instance="https://a.example.org"} == 0`)
	f.Add("HTTPS_PROXY", "http://proxy.example.org:3128")
	f.Add("x", "-DsocksProxyHost=[::1 -Dhttps.proxyHost=")
	f.Fuzz(func(t *testing.T, setting, v string) {
		kept, proxy := called(setting, v, Extract(v))
		if len(kept) != len(proxy) {
			t.Fatalf("%d endpoints, %d marks", len(kept), len(proxy))
		}
		for _, e := range kept {
			if e.Start < 0 || e.End > len(v) || e.Start > e.End || !strings.HasPrefix(e.Text, v[e.Start:e.End]) {
				t.Fatalf("endpoint %+v is not in %q", e, v)
			}
		}
	})
}
