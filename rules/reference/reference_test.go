package reference

import (
	"strings"
	"testing"
)

func TestParseRefNormalizes(t *testing.T) {
	const digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
	tests := []struct {
		in                   string
		domain, path, suffix string
	}{
		{"nginx", "docker.io", "library/nginx", ""},
		{"library/nginx", "docker.io", "library/nginx", ""},
		{"docker.io/nginx", "docker.io", "library/nginx", ""},
		{"docker.io/library/nginx", "docker.io", "library/nginx", ""},
		{"index.docker.io/library/nginx", "docker.io", "library/nginx", ""},
		{"index.docker.io/nginx", "docker.io", "library/nginx", ""},
		{"nginx:1.25", "docker.io", "library/nginx", ":1.25"},
		{"bitnami/redis:7", "docker.io", "bitnami/redis", ":7"},
		{"temporalio/admin-tools:1.31.2", "docker.io", "temporalio/admin-tools", ":1.31.2"},
		{"quay.io/jetstack/cert-manager-controller:v1.21.1", "quay.io", "jetstack/cert-manager-controller", ":v1.21.1"},
		{"Quay.IO/jetstack/x", "quay.io", "jetstack/x", ""},
		{"localhost/x", "localhost", "x", ""},
		{"localhost:5000/a/b:c", "localhost:5000", "a/b", ":c"},
		{"registry.k8s.io/ingress-nginx/controller:v1.15.1@" + digest, "registry.k8s.io", "ingress-nginx/controller", ":v1.15.1@" + digest},
		{"nginx@" + digest, "docker.io", "library/nginx", "@" + digest},
		{"[::1]:5000/x:1", "[::1]:5000", "x", ":1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			ref, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if ref.Written != tt.in || ref.Domain != tt.domain || ref.Path != tt.path || ref.Suffix != tt.suffix {
				t.Fatalf("Parse(%q) = %+v, want domain %q path %q suffix %q", tt.in, ref, tt.domain, tt.path, tt.suffix)
			}
			if !strings.HasSuffix(tt.in, ref.Suffix) {
				t.Fatalf("suffix %q is not the reference's own ending: tag and digest must be kept as written", ref.Suffix)
			}
		})
	}
}

func TestParseRefSameRepository(t *testing.T) {
	forms := []string{"nginx", "library/nginx", "docker.io/nginx", "docker.io/library/nginx", "index.docker.io/library/nginx", "index.docker.io/nginx"}
	for _, form := range forms {
		ref, err := Parse(form)
		if err != nil {
			t.Fatal(err)
		}
		if got := ref.Repository(); got != "docker.io/library/nginx" {
			t.Errorf("Parse(%q).Repository() = %q, want docker.io/library/nginx", form, got)
		}
	}
}

func TestParseRefInvalid(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty"},
		{" nginx", "white space"},
		{"nginx ", "white space"},
		{"Nginx", "lowercase"},
		{"quay.io/Jetstack/x", "lowercase"},
		{"{{ .Values.image }}", "template"},
		{"{{.Values.image.repository}}:{{.Values.image.tag}}", "template"},
		{"docker.io/bitnami/redis:{{ .Chart.AppVersion }}", "template"},
		{"nginx:", "invalid reference format"},
		{"nginx@sha256:abc", "invalid"},
		{"a/b/c:tag with space", "invalid"},
		{"http://quay.io/x", "invalid"},
		{"A/0", "upper-case word"}, // a host only because of its capitals (found by FuzzParseRef)
		{"MyRegistry/app:1", "upper-case word"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want an error", tt.in)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error %q does not mention %q", tt.in, err, tt.want)
			}
			if tt.in != "" && !strings.Contains(err.Error(), tt.in) {
				t.Fatalf("error %q does not quote the value %q", err, tt.in)
			}
		})
	}
}

func TestHasExplicitDomain(t *testing.T) {
	tests := map[string]bool{
		"quay.io/x":           true,
		"localhost/x":         true,
		"localhost:5000/x":    true,
		"registry:5000/x":     true,
		"nginx":               false,
		"bitnami/redis":       false,
		"quay.io":             false, // no path: a bare word, not a reference
		"docker.io/nginx:1.2": true,
		"/bin/sh":             false,
		"some text. more/x":   true, // looks like one; ParseRef then rejects it
	}
	for in, want := range tests {
		if got := HasExplicitDomain(in); got != want {
			t.Errorf("HasExplicitDomain(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParsePrefix(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "docker.io", want: "docker.io"},
		{in: "Docker.IO", want: "docker.io"},
		{in: "index.docker.io", want: "docker.io"},
		{in: "index.docker.io/bitnami", want: "docker.io/bitnami"},
		{in: "docker.io/bitnami", want: "docker.io/bitnami"},
		{in: "docker.io/bitnamilegacy", want: "docker.io/bitnamilegacy"},
		{in: "bitnami/redis", want: "docker.io/bitnami/redis"},
		{in: "quay.io/jetstack", want: "quay.io/jetstack"},
		{in: "localhost:5000", want: "localhost:5000"},
		{in: "localhost", want: "localhost"},
		{in: "europe-west3-docker.pkg.dev/plexicus-registry/platform", want: "europe-west3-docker.pkg.dev/plexicus-registry/platform"},
		{in: "", err: "empty"},
		{in: "quay.io/", err: "trailing slash"},
		{in: "quay.io/x:1", err: "invalid"},
		{in: "bitnami/redis:7", err: "tag"},
		{in: "registry:5000", want: "registry:5000"}, // a host and port, not an image and tag
		{in: "quay.io/x@sha256:0000000000000000000000000000000000000000000000000000000000000000", err: "digest"},
		{in: "quay.io/UPPER", err: "lowercase"},
		{in: "has space.io/x", err: "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParsePrefix(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParsePrefix(%q) = %q, %v; want an error mentioning %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParsePrefix(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestUnderPrefix(t *testing.T) {
	tests := []struct {
		repo, prefix string
		want         bool
	}{
		{"europe-west3-docker.pkg.dev/plexicus-registry/platform/fastapi", "europe-west3-docker.pkg.dev/plexicus-registry/platform", true},
		{"europe-west3-docker.pkg.dev/plexicus-registry/platform", "europe-west3-docker.pkg.dev/plexicus-registry/platform", true},
		{"europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/x", "europe-west3-docker.pkg.dev/plexicus-registry/platform", false},
		{"docker.io/library/nginx", "docker.io", true},
		{"docker.io.evil.example/library/nginx", "docker.io", false},
		{"docker.io/bitnamilegacy/redis", "docker.io/bitnami", false},
		{"docker.io/bitnami", "docker.io/bitnami/redis", false},
	}
	for _, tt := range tests {
		if got := UnderPrefix(tt.repo, tt.prefix); got != tt.want {
			t.Errorf("UnderPrefix(%q, %q) = %v, want %v", tt.repo, tt.prefix, got, tt.want)
		}
	}
}

func TestParseRefRejectsInvalidHost(t *testing.T) {
	for _, s := range []string{"0.0_0/0", "a.b_c/d:1", "x_y.z/q"} {
		if ref, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %+v, want an invalid-host error", s, ref)
		}
	}
}
