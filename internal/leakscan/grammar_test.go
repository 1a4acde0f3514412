package leakscan

import "testing"

func TestParseRef(t *testing.T) {
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		in   string
		ok   bool
		want ref
	}{
		{"nginx", true, ref{Path: "nginx"}},
		{"bitnami/redis:7.2", true, ref{Path: "bitnami/redis", Tag: "7.2"}},
		{"quay.io/jetstack/cert-manager-controller:v1.21.1", true, ref{Domain: "quay.io", Path: "jetstack/cert-manager-controller", Tag: "v1.21.1"}},
		{"localhost:5000/x/y:1", true, ref{Domain: "localhost:5000", Path: "x/y", Tag: "1"}},
		{"localhost/x", true, ref{Domain: "localhost", Path: "x"}},
		{"registry.k8s.io/ingress-nginx/controller:v1.15.1@" + digest, true, ref{Domain: "registry.k8s.io", Path: "ingress-nginx/controller", Tag: "v1.15.1", Digest: digest}},
		{"ghcr.io/x/y@" + digest, true, ref{Domain: "ghcr.io", Path: "x/y", Digest: digest}},
		{"mirror.gcr.io/aquasec/trivy-db", true, ref{Domain: "mirror.gcr.io", Path: "aquasec/trivy-db"}},
		{"1.2.3", true, ref{Path: "1.2.3"}}, // grammatical; judge keeps it out
		{"Nginx", false, ref{}},
		{"https://quay.io/x:1", false, ref{}},
		{"quay.io/x:", false, ref{}},
		{"quay.io//x", false, ref{}},
		{"x/y:-bad", false, ref{}},
		{"x@sha256:short", false, ref{}},
		{"-consul-image", false, ref{}},
		{"/consul/config/config.json", false, ref{}},
		{"a b", false, ref{}},
		{"", false, ref{}},
	}
	for _, tt := range tests {
		got, ok := parseRef(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parseRef(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRepository(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                   "docker.io/library/nginx",
		"bitnami/redis:7":         "docker.io/bitnami/redis",
		"docker.io/bitnami/redis": "docker.io/bitnami/redis",
		"quay.io/x/y@sha256:0123456789abcdef0123456789abcdef": "quay.io/x/y",
	} {
		r, ok := parseRef(in)
		if !ok || r.repository() != want {
			t.Errorf("repository(%q) = %q (%v), want %q", in, r.repository(), ok, want)
		}
	}
}
