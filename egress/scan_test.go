package egress

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/detect"
)

// runAudit runs the real rewrite engine over input with an Auditor's pass,
// on several workers so that documents are scanned concurrently.
func runAudit(t testing.TB, opts Options, input string) *Report {
	t.Helper()
	cfg := &config.Config{Mirror: "registry.internal.example.com/mirror", Allow: []string{"harbor.plexicus.io"}}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Classifier.IsInternalHost == nil {
		opts.Classifier.IsInternalHost = m.IsInternal
	}
	a, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rewrite.Run(strings.NewReader(input), io.Discard, rewrite.Options{Mapper: m, Passes: []rewrite.Pass{a.Pass()}, Workers: 4})
	if err != nil {
		t.Fatalf("rewrite.Run: %v", err)
	}
	return a.Report()
}

// found lists a report's endpoints as "Kind name: field: value".
func found(r *Report) []string {
	var out []string
	for _, f := range r.Endpoints {
		out = append(out, fmt.Sprintf("%s %s: %s: %s", f.Kind, f.Name, f.Field, f.Value))
	}
	return out
}

func TestScan(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"env values", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    spec:
      containers:
        - name: api
          image: quay.io/org/api:1.0
          env:
            - {name: OPENAI_API_BASE, value: "https://api.openai.com/v1"}
            - {name: SMTP_HOST, value: smtp.sendgrid.net}
            - {name: SMTP_PORT, value: "587"}
            - {name: BROKERS, value: "kafka-0.kafka:9092,b1.confluent.cloud:9092"}
            - {name: LLM_PROVIDER_HOST, value: api.anthropic.com}
            - {name: GREETING, value: "hello from grafana.com"}
            - {name: CACHE, value: redis-master:6379}
            - {name: DB, value: "postgres://app:secret@db.rds.amazonaws.com:5432/app"}
            - {name: IMAGE, value: "quay.io/org/sidecar:1.2.3"}
            - {name: APP_VERSION, value: "1.2.3"}
            - {name: CONFIG_FILE, value: /etc/app/config.yaml}
            - name: FROM_SECRET
              valueFrom: {secretKeyRef: {name: s, key: url}}
`, []string{
			"Deployment api: spec.template.spec.containers[api].env[OPENAI_API_BASE].value: https://api.openai.com/v1",
			"Deployment api: spec.template.spec.containers[api].env[SMTP_HOST].value: smtp.sendgrid.net",
			"Deployment api: spec.template.spec.containers[api].env[BROKERS].value: b1.confluent.cloud:9092",
			"Deployment api: spec.template.spec.containers[api].env[LLM_PROVIDER_HOST].value: api.anthropic.com",
			"Deployment api: spec.template.spec.containers[api].env[GREETING].value: grafana.com",
			"Deployment api: spec.template.spec.containers[api].env[DB].value: postgres://app:xxxxx@db.rds.amazonaws.com:5432/app",
		}},
		{"args and command", `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: c
      image: nginx
      command: [sh, -c, "curl -fsS https://raw.githubusercontent.com/org/repo/main/install.sh | sh"]
      args:
        - --oidc-issuer=https://accounts.google.com
        - --server
        - acme-staging-v02.api.letsencrypt.org
        - --listen=0.0.0.0:8080
        - --acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.21.1
        - --upstream
        - smtp.mailgun.org
`, []string{
			"Pod p: spec.containers[c].command[2]: https://raw.githubusercontent.com/org/repo/main/install.sh",
			"Pod p: spec.containers[c].args[0]: https://accounts.google.com",
			"Pod p: spec.containers[c].args[2]: acme-staging-v02.api.letsencrypt.org",
			"Pod p: spec.containers[c].args[6]: smtp.mailgun.org",
		}},
		{"annotations", `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  annotations:
    nginx.ingress.kubernetes.io/auth-url: "https://auth.plexicus-sso.com/oauth2/auth"
    nginx.ingress.kubernetes.io/auth-signin: "https://$host/oauth2/start"
    external-dns.alpha.kubernetes.io/hostname: app.plexicus.com
    kubectl.kubernetes.io/last-applied-configuration: '{"metadata":{"annotations":{"x":"https://api.openai.com"}}}'
    docs.example/description: see https://github.com/org/repo
    cert-manager.io/cluster-issuer: letsencrypt-prod
spec:
  tls: [{hosts: [app.plexicus.com], secretName: tls}]
  rules:
    - host: app.plexicus.com
`, []string{
			"Ingress web: metadata.annotations[nginx.ingress.kubernetes.io/auth-url]: https://auth.plexicus-sso.com/oauth2/auth",
		}},
		{"configmap with embedded files", `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  settings.yaml: |
    # Documented at https://docs.plexicus-docs.com/settings
    auth:
      google:
        token_url: https://oauth2.googleapis.com/token
    storage:
      endpoint: minio.platform.svc.cluster.local:9000
    links:
      description: "see https://github.com/org/repo"
  settings.json: |
    {"$schema": "https://json-schema.org/draft-07/schema#", "$id": "https://schemas.plexicus.com/s.json",
     "description": "https://docs.plexicus.com", "webhook": {"url": "https://hooks.slack.com/services/T/B/X"}}
  grafana.ini: |
    ; Grafana settings
    [analytics]
    reporting_enabled = true
    [grafana_net]
    url = https://grafana.net # the plugin catalogue
    [smtp]
    host = smtp.office365.com:587
  app.properties: |
    spring.datasource.url=jdbc:postgresql://postgresql.platform.svc:5432/app
    mail.smtp.host=smtp.gmail.com
    app.version=2.3.1
  logback.xml: |
    <configuration xmlns="http://ch.qos.logback/xml/ns/logback"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xsi:schemaLocation="http://ch.qos.logback/xml/ns/logback http://ch.qos.logback/xml/ns/logback/logback.xsd">
      <!-- see http://logback.qos.ch/manual/appenders.html
           and https://github.com/loki4j -->
      <url>http://loki.monitoring.svc:3100/loki/api/v1/push</url>
      <url>https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push</url>
    </configuration>
  run.sh: |
    #!/bin/sh
    # https://github.com/vishnubob/wait-for-it
    curl -s https://api.github.com/repos/org/repo/releases/latest
`, []string{
			"ConfigMap cfg: data[settings.yaml].auth.google.token_url: https://oauth2.googleapis.com/token",
			"ConfigMap cfg: data[settings.json].webhook.url: https://hooks.slack.com/services/T/B/X",
			"ConfigMap cfg: data[grafana.ini].analytics.reporting_enabled: true",
			"ConfigMap cfg: data[grafana.ini].grafana_net.url: https://grafana.net",
			"ConfigMap cfg: data[grafana.ini].smtp.host: smtp.office365.com:587",
			"ConfigMap cfg: data[app.properties][mail.smtp.host]: smtp.gmail.com",
			"ConfigMap cfg: data[logback.xml]: https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push",
			"ConfigMap cfg: data[run.sh]: https://api.github.com/repos/org/repo/releases/latest",
		}},
		{"templated config that is not YAML", `
apiVersion: v1
kind: ConfigMap
metadata: {name: temporal-config}
data:
  config_template.yaml: |-
    persistence:
      datastores:
        default:
          sql:
            connectAddr: postgres.example.svc.cluster.local:5432
            password: {{ env "TEMPORAL_DEFAULT_STORE_PASSWORD" | quote }}
        visibility:
          elasticsearch:
            url:
              host: search-abc.eu-west-1.es.amazonaws.com:443
`, []string{
			"ConfigMap temporal-config: data[config_template.yaml].persistence.datastores.visibility.elasticsearch.url.host: search-abc.eu-west-1.es.amazonaws.com:443",
		}},
		{"secret data is decoded and masked", `
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData:
  DSN: https://key@o1.ingest.sentry.io/2
data:
  url: aHR0cHM6Ly91c2VyOnB3QGFwaS5vcGVuYWkuY29tL3YxP2tleT1zZWNyZXQ=
  binary: /w==
`, []string{
			"Secret s: stringData.DSN: https://xxxxx@o1.ingest.sentry.io/2",
			"Secret s: data.url: https://user:xxxxx@api.openai.com/v1",
		}},
		{"crd schemas and descriptions are documentation", `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
  annotations:
    controller-gen.kubebuilder.io/version: v0.16.0
spec:
  group: example.com
  conversion:
    strategy: Webhook
    webhook:
      clientConfig:
        url: https://conversion.plexicus.com/convert
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          $id: https://schemas.plexicus.com/widget.json
          description: 'Widget. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds'
          properties:
            server:
              default: https://api.venafi.cloud/
              description: 'e.g: "https://vault.example.com:8200"'
              type: string
`, []string{
			"CustomResourceDefinition widgets.example.com: spec.conversion.webhook.clientConfig.url: https://conversion.plexicus.com/convert",
		}},
		{"served names and reserved names", `
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: c}
spec:
  commonName: api.plexicus.com
  dnsNames: [api.plexicus.com, www.plexicus.com]
  issuerRef: {name: internal-ca, kind: ClusterIssuer}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  hostnames: [app.plexicus.com]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: reserved}
data:
  a: https://example.com/x
  b: http://docs.example.org
  c: https://www.example.net:8443
  d: https://api.service.example
  e: http://host.test:80
  f: https://nowhere.invalid
  g: http://app.localhost:3000
  h: http://192.0.2.1/
  SERVER_HOST: example.com
  i: 'the image registry.corp:5000/app:1.0 and the file /srv/app.py:12'
`, nil},
		{"alerting rules are documentation", `
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: rules}
spec:
  groups:
    - name: g
      rules:
        - alert: Down
          expr: up == 0
          annotations:
            description: 'see https://runbooks.prometheus-operator.dev/runbooks/general/targetdown'
            summary: https://grafana.com/docs
            runbook_url: https://runbooks.prometheus-operator.dev/runbooks/general/targetdown
`, nil},
		{"phone-home switches", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: grafana}
spec:
  template:
    spec:
      containers:
        - name: grafana
          image: grafana/grafana:12.1.0
          env:
            - {name: GF_ANALYTICS_REPORTING_ENABLED, value: "true"}
            - {name: GF_ANALYTICS_CHECK_FOR_UPDATES, value: "false"}
            - {name: GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES, value: "off"}
            - {name: REPORTING_ENABLED, value: "true"}
        - name: minio
          image: minio/minio
          env:
            - {name: MINIO_CALLHOME_ENABLE, value: "on"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: grafana}
data:
  grafana.ini: |
    [analytics]
    check_for_updates = true
    check_for_plugin_updates = false
    [other]
    reporting_enabled = true
`, []string{
			"Deployment grafana: spec.template.spec.containers[grafana].env[GF_ANALYTICS_REPORTING_ENABLED].value: true",
			"Deployment grafana: spec.template.spec.containers[minio].env[MINIO_CALLHOME_ENABLE].value: on",
			"ConfigMap grafana: data[grafana.ini].analytics.check_for_updates: true",
		}},
		{"service entry and external name", `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: openai}
spec:
  hosts: [api.openai.com, internal.plexicus.svc]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: db.abc123.eu-west-1.rds.amazonaws.com
`, []string{
			"ServiceEntry openai: spec.hosts[0]: api.openai.com",
			"Service ext: spec.externalName: db.abc123.eu-west-1.rds.amazonaws.com",
		}},
		{"list items, aliases and registries", `
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: a}
    data:
      url: &u https://api.openai.com/v1
      again: *u
      mirror: https://registry.internal.example.com/v2/
      harbor: harbor.plexicus.io:443
`, []string{
			"ConfigMap a: items[0].data.url: https://api.openai.com/v1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := found(runAudit(t, Options{Classifier: Classifier{InternalDomains: []string{"svc"}}}, tt.in))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("endpoints:\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(tt.want, "\n      "))
			}
		})
	}
}

// TestScanLines checks that findings point at the stream line of the value,
// inside block scalars too, and come out in stream order although documents
// are scanned concurrently.
func TestScanLines(t *testing.T) {
	var b strings.Builder
	var want []string
	line := 1
	for i := 0; i < 40; i++ {
		doc := fmt.Sprintf(`---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm%d
data:
  plain: https://a%d.plexicus.com
  block: |
    first line
    url = https://b%d.plexicus.com
`, i, i, i)
		want = append(want, fmt.Sprintf("cm%d %d https://a%d.plexicus.com", i, line+6, i), fmt.Sprintf("cm%d %d https://b%d.plexicus.com", i, line+9, i))
		b.WriteString(doc)
		line += strings.Count(doc, "\n")
	}
	r := runAudit(t, Options{}, b.String())
	var got []string
	for _, f := range r.Endpoints {
		got = append(got, fmt.Sprintf("%s %d %s", f.Name, f.Line, f.Value))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n got: %v\nwant: %v", got, want)
	}
}

func TestAllowRules(t *testing.T) {
	in := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: platform}
spec:
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: api
          image: nginx
          env:
            - {name: OPENAI_API_BASE, value: "https://api.openai.com/v1"}
            - {name: AZURE, value: "https://x.openai.azure.com"}
            - {name: SENTRY, value: "https://k@o1.ingest.sentry.io/2"}
            - {name: SMTP, value: "smtp.gmail.com:587"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: platform}
spec:
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: w
          image: nginx
          env: [{name: U, value: "https://api.openai.com/v1"}]
`
	tests := []struct {
		name      string
		allow     []AllowRule
		want      []string
		exempted  []string // workloads exempt from the NetworkPolicy check
		allowedEP int
	}{
		{"none", nil, []string{"api api.openai.com", "api x.openai.azure.com", "api o1.ingest.sentry.io", "api smtp.gmail.com", "worker api.openai.com"}, nil, 0},
		{"host", []AllowRule{{Host: "API.OpenAI.com"}}, []string{"api x.openai.azure.com", "api o1.ingest.sentry.io", "api smtp.gmail.com"}, nil, 2},
		{"host wildcard", []AllowRule{{Host: "*.openai.azure.com"}, {Host: "*.sentry.io"}}, []string{"api api.openai.com", "api smtp.gmail.com", "worker api.openai.com"}, nil, 2},
		{"host in one resource", []AllowRule{{Host: "api.openai.com", Kind: "Deployment", Name: "worker"}}, []string{"api api.openai.com", "api x.openai.azure.com", "api o1.ingest.sentry.io", "api smtp.gmail.com"}, nil, 1},
		{"field and parents", []AllowRule{{Kind: "Deployment", Name: "api", Field: "spec.template.spec.containers[api].env[SMTP]"}, {Field: "*env[SENTRY].value"}},
			[]string{"api api.openai.com", "api x.openai.azure.com", "worker api.openai.com"}, nil, 2},
		{"whole resource", []AllowRule{{Kind: "Deployment", Namespace: "platform", Name: "wor*"}}, []string{"api api.openai.com", "api x.openai.azure.com", "api o1.ingest.sentry.io", "api smtp.gmail.com"}, []string{"worker"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runAudit(t, Options{Allow: tt.allow}, in)
			var got []string
			for _, f := range r.Endpoints {
				got = append(got, f.Name+" "+f.Host)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("endpoints %v, want %v", got, tt.want)
			}
			if r.Summary.AllowedEndpoints != tt.allowedEP {
				t.Errorf("allowed %d, want %d", r.Summary.AllowedEndpoints, tt.allowedEP)
			}
			var exempted []string
			for _, w := range r.Workloads {
				if w.Allowed {
					exempted = append(exempted, w.Name)
				}
			}
			if strings.Join(exempted, ",") != strings.Join(tt.exempted, ",") {
				t.Errorf("exempted workloads %v, want %v", exempted, tt.exempted)
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"a", "a", true}, {"a", "ab", false}, {"*", "", true}, {"*.io", "x.y.io", true}, {"*.io", "io", false},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"**", "x", true}, {"*a*a*a*a*b", strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		if got := detect.Glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
	if !detect.MatchField("spec.template", "spec.template.spec.containers[a].env[B].value") || detect.MatchField("spec.temp", "spec.template.x") {
		t.Error("fieldMatch must match parents at path boundaries only")
	}
}

// TestScanLimit: a document too big to audit whole is reported as such,
// not passed silently.
func TestScanLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  big: |\n")
	for i := 0; i < maxValues+10; i++ {
		b.WriteString("    x\n")
	}
	b.WriteString("  last: https://api.openai.com\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: small}\ndata: {u: \"https://api.openai.com\"}\n")
	r := runAudit(t, Options{Strict: true}, b.String())
	if !r.Failed || !strings.Contains((&PolicyError{Report: r}).Error(), "1 document(s) too large to audit whole") {
		t.Errorf("a strict audit that could not read a document whole must fail")
	}
	if len(r.Truncated) != 1 || r.Truncated[0] != 1 {
		t.Errorf("truncated = %v, want [1]", r.Truncated)
	}
	if got := found(r); len(got) != 1 || !strings.HasPrefix(got[0], "ConfigMap small:") {
		t.Errorf("endpoints %v, want the small ConfigMap's", got)
	}
	var text strings.Builder
	r.WriteText(&text, false)
	if !strings.Contains(text.String(), "document 1 holds more than") {
		t.Errorf("no warning:\n%s", text.String())
	}
}

func TestScanPodTemplateMetadata(t *testing.T) {
	in := `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    metadata:
      labels: {app.kubernetes.io/name: api, tier: grafana.com}
      annotations:
        kubectl.kubernetes.io/last-applied-configuration: '{"url": "https://api.openai.com"}'
        external-dns.alpha.kubernetes.io/hostname: api.plexicus.com
        vault.hashicorp.com/service: "https://vault.plexicus-secrets.com:8200"
    spec:
      containers: [{name: api, image: nginx}]
`
	want := []string{"Deployment api: spec.template.metadata.annotations[vault.hashicorp.com/service]: https://vault.plexicus-secrets.com:8200"}
	if got := found(runAudit(t, Options{}, in)); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("endpoints:\n got: %v\nwant: %v", got, want)
	}
}

// TestMask: credentials never reach a report: user information, secret
// query values, token-like path segments (webhooks); the rest of the URL
// stays readable.
func TestMask(t *testing.T) {
	for _, tc := range []struct {
		url    string
		secret bool
		want   string
	}{
		{"https://api.openai.com/v1", false, "https://api.openai.com/v1"},
		{"postgres://app:s3cret@db.example.com:5432/app", false, "postgres://app:xxxxx@db.example.com:5432/app"},
		{"https://ghp_0123456789abcdefABCDEF@github.com/org/repo.git", false, "https://xxxxx@github.com/org/repo.git"},
		{"https://hooks.slack.com/services/T0123ABCD/B0456EFGH/Xy12AbCdEfGh34IjKlMn56Op", false, "https://hooks.slack.com/services/T0123ABCD/B0456EFGH/xxxxx"},
		{"https://discord.com/api/webhooks/123456789012345678/abcDEF123ghiJKL456mnoPQR789", false, "https://discord.com/api/webhooks/123456789012345678/xxxxx"},
		{"https://outlook.office.com/webhook/123e4567-e89b-12d3-a456-426614174000@tenant/IncomingWebhook/0a1b2c3d4e5f60718293a4b5c6d7e8f9/abc", false,
			"https://outlook.office.com/webhook/123e4567-e89b-12d3-a456-426614174000@tenant/IncomingWebhook/xxxxx/abc"},
		{"https://api.example.com/v2/send?api_key=abc&format=json", false, "https://api.example.com/v2/send?api_key=xxxxx&format=json"},
		{"https://api.example.com/x?id=42&t=Zm9vYmFyYmF6cXV4MTIzNDU2", false, "https://api.example.com/x?id=42&t=xxxxx"},
		{"https://app.example.com/cb#access_token=abc&state=1", false, "https://app.example.com/cb#access_token=xxxxx&state=1"},
		{"https://api.example.com/v1?region=eu#top", true, "https://api.example.com/v1"},
		{"https://github.com/cert-manager/cert-manager/releases/download/v1.21.1/cert-manager.yaml", false,
			"https://github.com/cert-manager/cert-manager/releases/download/v1.21.1/cert-manager.yaml"},
	} {
		if got := mask(Endpoint{Text: tc.url, Form: FormURL}, tc.secret); got != tc.want {
			t.Errorf("mask(%q, secret %v) = %q, want %q", tc.url, tc.secret, got, tc.want)
		}
	}
	if got := mask(Endpoint{Text: "db.example.com:5432", Form: FormHostPort}, false); got != "db.example.com:5432" {
		t.Errorf("a host:port was changed: %q", got)
	}
}
