package egress

import (
	"fmt"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
)

// describeEndpoints renders Extract's result compactly: "form:text(host:port)".
func describeEndpoints(list []Endpoint) []string {
	var out []string
	for _, e := range list {
		form := map[Form]string{FormURL: "url", FormHostPort: "hostport", FormHost: "host"}[e.Form]
		out = append(out, fmt.Sprintf("%s:%s(%s:%s)", form, e.Text, e.Host, e.Port))
	}
	return out
}

func TestExtract(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"url", "https://api.openai.com/v1", []string{"url:https://api.openai.com/v1(api.openai.com:)"}},
		{"url with port and userinfo", "postgresql://u:p@db.corp:5432/x?sslmode=disable",
			[]string{"url:postgresql://u:p@db.corp:5432/x?sslmode=disable(db.corp:5432)"}},
		{"upper-case host", "HTTPS://API.OpenAI.com", []string{"url:HTTPS://API.OpenAI.com(api.openai.com:)"}},
		{"variable scheme", "mc alias set p $MINIO_SCHEME://minio:9000 $(<$F)", []string{"url:$MINIO_SCHEME://minio:9000(minio:9000)"}},
		{"jdbc", "jdbc:postgresql://db.corp:5432/x;ssl=true", []string{"url:postgresql://db.corp:5432/x(db.corp:5432)"}},
		{"url list", "http://a.io,http://b.io", []string{"url:http://a.io(a.io:)", "url:http://b.io(b.io:)"}},
		{"sentence punctuation", "see https://grafana.com/docs. Then (https://x.io/a_(b)).",
			[]string{"url:https://grafana.com/docs(grafana.com:)", "url:https://x.io/a_(b)(x.io:)"}},
		{"host:port", "smtp.gmail.com:587", []string{"hostport:smtp.gmail.com:587(smtp.gmail.com:587)"}},
		{"host:port with path", "api.openai.com:443/v1", []string{"hostport:api.openai.com:443(api.openai.com:443)"}},
		{"single-label host:port", "redis-master:6379", []string{"hostport:redis-master:6379(redis-master:6379)"}},
		{"ipv4 host:port", "--listen=0.0.0.0:8000", []string{"hostport:0.0.0.0:8000(0.0.0.0:8000)"}},
		{"ipv6 host:port", "[::1]:8080 and [2001:4860::1]:443",
			[]string{"hostport:[::1]:8080(::1:8080)", "hostport:[2001:4860::1]:443(2001:4860::1:443)"}},
		{"bare host in a flag", "--server=acme-v02.api.letsencrypt.org", []string{"host:acme-v02.api.letsencrypt.org(acme-v02.api.letsencrypt.org:)"}},
		{"bare hosts in a flow list", "[api.openai.com, b.io]", []string{"host:api.openai.com(api.openai.com:)", "host:b.io(b.io:)"}},
		{"bare ipv4", "forward . 8.8.8.8", []string{"host:8.8.8.8(8.8.8.8:)"}},
		{"trailing dot", "visit grafana.com.", []string{"host:grafana.com(grafana.com:)"}},

		// Never endpoints.
		{"time", "12:30:00", nil},
		{"version", "version 1.2.3 or v2.0.1", nil},
		{"cidr", "10.0.0.0/8, 0.0.0.0/0", nil},
		{"image reference", "quay.io/jetstack/cert-manager-controller:v1.21.1", nil},
		{"image with registry port", "registry.corp:5000/foo/bar:1.0", nil},
		{"image digest", "ghcr.io/a/b@sha256:" + strings.Repeat("a", 64), nil},
		{"e-mail", "ops@plexicus.example", nil},
		{"file path", "/etc/ssl/certs/ca.pem and ./config/app.yaml", nil},
		{"file name with a TLD extension", "python app.py:8000 entrypoint.sh", nil},
		{"templates", "http://{{ .Values.host }}:80 https://${HOST}/x $(SVC).ns.svc:80", nil},
		{"xml namespace", `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">`, nil},
		{"schema location", `xsi:schemaLocation="http://ch.qos.logback/ns https://raw.githubusercontent.com/x/logback.xsd"`, nil},
		{"json schema keys", `"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://schemas.corp.io/s.json"`, nil},
		{"dtd", `<!DOCTYPE log4j:configuration SYSTEM "http://logging.apache.org/log4j/1.2/log4j.dtd">`, nil},
		{"no host", "file:///etc/hosts unix:///var/run/docker.sock", nil},
		{"glued port", "host:80abc a:b", nil},
		{"plain words", "hello world, image: nginx", nil},
		{"bare name (the caller decides)", "app.kubernetes.io/name", []string{"host:app.kubernetes.io(app.kubernetes.io:)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeEndpoints(Extract(tt.in))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Extract(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzExtract checks that the extractor never panics and that what it
// returns is consistent: positions in range and in order, Text is the input
// at those positions, hosts are valid and lower-case, ports are 1..65535,
// and the result does not depend on text before the last line break of an
// unrelated prefix.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"https://api.openai.com/v1", "$S://minio:9000", "[::1]:80", "smtp.gmail.com:587", "a.b.c:1:2",
		"https://[::1", "http://", "://x", "x://[fe80::1%25eth0]:80/", "jdbc:mysql://h:3306;a=b",
		`xmlns="http://x.org/ns"`, "quay.io/a/b:v1", "10.0.0.0/8", "1.1.1.1", "https://a.b/(c))", "ß.com:80",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Extract(s)
		prev := 0
		for _, e := range got {
			if e.Start < prev || e.End < e.Start || e.End > len(s) {
				t.Fatalf("Extract(%q): bad span [%d,%d) after %d", s, e.Start, e.End, prev)
			}
			prev = e.End
			if s[e.Start:e.End] != e.Text {
				t.Fatalf("Extract(%q): Text %q is not s[%d:%d]", s, e.Text, e.Start, e.End)
			}
			if e.Host == "" || e.Host != strings.ToLower(e.Host) || !validHost(e.Host) {
				t.Fatalf("Extract(%q): invalid host %q", s, e.Host)
			}
			if e.Port != "" && !validPort(e.Port) {
				t.Fatalf("Extract(%q): invalid port %q", s, e.Port)
			}
			if e.Form != FormURL && e.Scheme != "" {
				t.Fatalf("Extract(%q): %q has a scheme but is not a URL", s, e.Text)
			}
		}
		again := Extract(s)
		if fmt.Sprint(again) != fmt.Sprint(got) {
			t.Fatalf("Extract(%q) is not deterministic", s)
		}
		// Classifying whatever was found never panics either.
		c := &Classifier{InternalDomains: []string{"corp.example.com"}}
		for _, e := range got {
			c.Classify(e.Host, e.Port)
			Lookup(e.Host)
		}
	})
}

// FuzzScanText feeds arbitrary text to the scan of one string value (the
// embedded YAML/JSON parse, the line-by-line reader for INI, properties,
// scripts and XML, and the extractor): it never panics, reports only public
// hosts, and points every finding at a line of the text.
func FuzzScanText(f *testing.F) {
	for _, s := range []string{
		"[analytics]\nreporting_enabled = true\n[grafana_net]\nurl = https://grafana.net\n",
		"a:\n  b:\n    url: https://api.openai.com/v1\n  - c\n",
		`{"$schema": "https://json-schema.org/s", "url": "https://hooks.slack.com/x"}`,
		"<a xmlns=\"http://x.org\"><!-- https://doc.io\n --><u>http://h.io:80</u></a>",
		"export API=https://api.openai.com\n# https://doc.io\nkey: {{ .x }}\n",
		"--- \n- &a https://a.io\n- *a\n---\nb: [c.io:443]\n",
	} {
		f.Add(s)
	}
	a, err := New(Options{Classifier: Classifier{InternalDomains: []string{"corp.io"}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s := &docScan{a: a, doc: 1, budget: 1 << 16, res: yamlnode.Resource{Kind: "ConfigMap", Name: "c"}}
		lines := strings.Count(text, "\n") + 1
		line := func(l int) int { return 100 + l }
		s.text(text, walkCtx{path: "data[x]", setting: "x", line: line}, line)
		for _, f := range s.found {
			if a.classifier.Classify(f.Host, f.Port) != Public {
				t.Fatalf("%q: reported %s, which is not public", text, f.Host)
			}
			if f.Line < 100 || f.Line > 101+lines {
				t.Fatalf("%q: finding %s at line %d, outside the text (%d lines)", text, f.Value, f.Line, lines)
			}
			if f.Value == "" || !strings.HasPrefix(f.Field, "data[x]") {
				t.Fatalf("%q: bad finding %+v", text, f)
			}
		}
	})
}
