package mapper_test

import (
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"os"
	"strings"
	"sync"
	"testing"
)

// issueConfig is the config from the issue: rules, a catch-all mirror
// and an allowed internal registry (shared with rules/config's tests).
var issueConfig = func() string {
	data, err := os.ReadFile("../testdata/issue-config.yaml")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

func compile(t testing.TB, text string) *mapper.Mapper {
	t.Helper()
	cfg, err := config.Parse([]byte(text), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMap(t *testing.T) {
	const digest = "sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1"
	const pkg = "europe-west3-docker.pkg.dev/plexicus-registry/"
	tests := []struct {
		name, in, dest string
		status         mapper.Status
		rule           string
	}{
		// Path-component boundaries.
		{"rule matches below its source", pkg + "platform/fastapi:1.0", "registry.internal.example.com/plexicus/fastapi:1.0", mapper.Rewritten, pkg + "platform"},
		{"rule matches deeper paths", pkg + "platform/a/b:1", "registry.internal.example.com/plexicus/a/b:1", mapper.Rewritten, pkg + "platform"},
		{"sibling with a longer name is not below", pkg + "platform-standalone/mongo-seed-data:2", "registry.internal.example.com/plexicus/standalone/mongo-seed-data:2", mapper.Rewritten, pkg + "platform-standalone"},
		{"prefix of a component is not a match", pkg + "platformx/y:1", "registry.internal.example.com/mirror/plexicus-registry/platformx/y:1", mapper.Rewritten, "mirror"},
		{"domain rule never matches a longer domain", "docker.io.evil.example/x/y:1", "registry.internal.example.com/mirror/x/y:1", mapper.Rewritten, "mirror"},
		{"bitnamilegacy rule is not bitnami", "docker.io/bitnami/redis:7", "hub.internal.example.com/hub/bitnami/redis:7", mapper.Rewritten, "docker.io"},

		// Longest match.
		{"longest source wins", "docker.io/bitnamilegacy/redis:7", "registry.internal.example.com/bitnami/redis:7", mapper.Rewritten, "docker.io/bitnamilegacy"},
		{"longest source wins over its parent", "quay.io/jetstack/cert-manager-webhook:v1", "registry.internal.example.com/webhook:v1", mapper.Rewritten, "quay.io/jetstack/cert-manager-webhook"},
		{"parent still catches siblings", "quay.io/jetstack/cert-manager-controller:v1", "registry.internal.example.com/jetstack/cert-manager-controller:v1", mapper.Rewritten, "quay.io/jetstack"},

		// Normalization: every Docker Hub spelling is one repository.
		{"short name", "nginx", "hub.internal.example.com/hub/library/nginx", mapper.Rewritten, "docker.io"},
		{"library name", "library/nginx", "hub.internal.example.com/hub/library/nginx", mapper.Rewritten, "docker.io"},
		{"docker.io name", "docker.io/nginx", "hub.internal.example.com/hub/library/nginx", mapper.Rewritten, "docker.io"},
		{"legacy index name", "index.docker.io/library/nginx", "hub.internal.example.com/hub/library/nginx", mapper.Rewritten, "docker.io"},

		// Tag and digest kept exactly.
		{"no tag stays without one", "quay.io/jetstack/x", "registry.internal.example.com/jetstack/x", mapper.Rewritten, "quay.io/jetstack"},
		{"tag kept", "quay.io/jetstack/x:v1.21.1", "registry.internal.example.com/jetstack/x:v1.21.1", mapper.Rewritten, "quay.io/jetstack"},
		{"digest kept", "quay.io/jetstack/x@" + digest, "registry.internal.example.com/jetstack/x@" + digest, mapper.Rewritten, "quay.io/jetstack"},
		{"tag and digest kept whole", "registry.k8s.io/ingress-nginx/controller:v1.15.1@" + digest, "registry.internal.example.com/mirror/ingress-nginx/controller:v1.15.1@" + digest, mapper.Rewritten, "mirror"},
		{"latest is not added", "ghcr.io/org/app", "registry.internal.example.com/mirror/org/app", mapper.Rewritten, "mirror"},
		{"explicit latest kept", "ghcr.io/org/app:latest", "registry.internal.example.com/mirror/org/app:latest", mapper.Rewritten, "mirror"},

		// Catch-all mirror: the path without the source domain.
		{"mirror keeps the path", "ghcr.io/dexidp/dex:v2.45.1", "registry.internal.example.com/mirror/dexidp/dex:v2.45.1", mapper.Rewritten, "mirror"},
		{"mirror keeps a deep path", "ecr-public.aws.com/docker/library/redis:8.2.3-alpine", "registry.internal.example.com/mirror/docker/library/redis:8.2.3-alpine", mapper.Rewritten, "mirror"},
		{"mirror with a port", "localhost:5000/a:1", "registry.internal.example.com/mirror/a:1", mapper.Rewritten, "mirror"},

		// mapper.Internal registries are untouched.
		{"mirror domain", "registry.internal.example.com/mirror/library/nginx:1", "registry.internal.example.com/mirror/library/nginx:1", mapper.Internal, ""},
		{"mirror domain, other path", "registry.internal.example.com/anything/else", "registry.internal.example.com/anything/else", mapper.Internal, ""},
		{"rule destination domain", "hub.internal.example.com/hub/library/nginx", "hub.internal.example.com/hub/library/nginx", mapper.Internal, ""},
		{"allowed domain with port", "allowed.example.com:5000/x:1", "allowed.example.com:5000/x:1", mapper.Internal, ""},
		{"domain case does not matter", "Registry.Internal.Example.com/x:1", "Registry.Internal.Example.com/x:1", mapper.Internal, ""},
		{"allowed domain without its port is another registry", "allowed.example.com/x:1", "registry.internal.example.com/mirror/x:1", mapper.Rewritten, "mirror"},
	}
	m := compile(t, issueConfig)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Map(tt.in)
			if err != nil {
				t.Fatalf("Map(%q): %v", tt.in, err)
			}
			if got.Dest != tt.dest || got.Status != tt.status || got.Rule != tt.rule {
				t.Fatalf("Map(%q) = dest %q status %v rule %q; want %q %v %q", tt.in, got.Dest, got.Status, got.Rule, tt.dest, tt.status, tt.rule)
			}
			if got.Source.Written != tt.in {
				t.Fatalf("Source.Written = %q, want the reference as written %q", got.Source.Written, tt.in)
			}
			if got.Status == mapper.Rewritten && !strings.HasPrefix(got.Dest, got.DestRepo) {
				t.Fatalf("Dest %q does not start with DestRepo %q", got.Dest, got.DestRepo)
			}
			// Idempotence: the result maps to itself.
			again, err := m.Map(got.Dest)
			if err != nil || again.Status != mapper.Internal || again.Dest != got.Dest {
				t.Fatalf("Map(Map(%q)) = %+v, %v; want %q unchanged and internal", tt.in, again, err, got.Dest)
			}
		})
	}
}

func TestMapIssueExamples(t *testing.T) {
	m := compile(t, "mirror: registry.internal.example.com/mirror\n")
	for in, want := range map[string]string{
		"docker.io/bitnami/redis:7": "registry.internal.example.com/mirror/bitnami/redis:7",
		"nginx:1.25":                "registry.internal.example.com/mirror/library/nginx:1.25",
	} {
		got, err := m.Map(in)
		if err != nil || got.Dest != want {
			t.Errorf("Map(%q) = %q, %v; want %q", in, got.Dest, err, want)
		}
	}
}

func TestMapWithoutMirrorLeavesUnmatchedImages(t *testing.T) {
	m := compile(t, `
rules:
  - from: quay.io/jetstack
    to: registry.internal.example.com/jetstack
`)
	got, err := m.Map("ghcr.io/org/app:1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != mapper.Unmapped || got.Dest != "ghcr.io/org/app:1" || got.Rule != "" {
		t.Fatalf("Map = %+v, want unmapped and unchanged", got)
	}
	got, err = m.Map("quay.io/jetstack/x:1")
	if err != nil || got.Status != mapper.Rewritten {
		t.Fatalf("Map = %+v, %v; want rewritten by the rule", got, err)
	}
}

func TestMapInvalidReference(t *testing.T) {
	m := compile(t, issueConfig)
	for _, in := range []string{"", "Nginx:1", "{{ .Values.image }}", "nginx:"} {
		if got, err := m.Map(in); err == nil {
			t.Errorf("Map(%q) = %+v, want an error", in, got)
		}
		// Cached errors are errors too.
		if _, err := m.Map(in); err == nil {
			t.Errorf("second Map(%q) succeeded", in)
		}
	}
}

func TestMapDestinationTooLong(t *testing.T) {
	m := compile(t, "mirror: registry.internal.example.com/"+strings.Repeat("m", 200)+"\n")
	_, err := m.Map("quay.io/" + strings.Repeat("a", 60) + ":1")
	if err == nil || !strings.Contains(err.Error(), "mapping image reference") {
		t.Fatalf("Map of a reference whose destination is too long: %v, want an error naming the mapping", err)
	}
}

func TestMapConcurrent(t *testing.T) {
	m := compile(t, issueConfig)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if got, err := m.Map("nginx:1.25"); err != nil || got.Dest != "hub.internal.example.com/hub/library/nginx:1.25" {
					t.Errorf("Map = %+v, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestCollisions(t *testing.T) {
	m := compile(t, "mirror: registry.internal.example.com/mirror\n")
	var c mapper.Collisions
	for _, ref := range []string{
		"docker.io/bitnami/redis:7",
		"bitnami/redis:8",                                      // same source repository: no collision
		"quay.io/bitnami/redis:7",                              // another source, same destination
		"quay.io/bitnami/redis:8",                              // the same pair again: reported once
		"ghcr.io/bitnami/redis:1",                              // a third source
		"ghcr.io/other/thing:1",                                // unrelated
		"registry.internal.example.com/mirror/bitnami/redis:7", // internal: cannot collide
	} {
		mapping, err := m.Map(ref)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(mapping)
	}
	list := c.List()
	if len(list) != 2 {
		t.Fatalf("collisions = %v, want 2", list)
	}
	want := []string{
		"docker.io/bitnami/redis and ghcr.io/bitnami/redis would both be mirrored to registry.internal.example.com/mirror/bitnami/redis",
		"docker.io/bitnami/redis and quay.io/bitnami/redis would both be mirrored to registry.internal.example.com/mirror/bitnami/redis",
	}
	for i, col := range list {
		if col.String() != want[i] {
			t.Errorf("collision %d = %q, want %q", i, col, want[i])
		}
	}
}

func TestCollisionsRuleAndMirror(t *testing.T) {
	// A rule that sends quay.io/x into the mirror's namespace collides with
	// the mirror's own mapping of ghcr.io/x.
	m := compile(t, `
mirror: registry.internal.example.com/mirror
rules:
  - from: quay.io
    to: registry.internal.example.com/mirror
`)
	var c mapper.Collisions
	for _, ref := range []string{"quay.io/org/app:1", "ghcr.io/org/app:1"} {
		mapping, err := m.Map(ref)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(mapping)
	}
	if list := c.List(); len(list) != 1 || list[0].Dest != "registry.internal.example.com/mirror/org/app" {
		t.Fatalf("collisions = %v, want quay.io/org/app and ghcr.io/org/app on one destination", list)
	}
}

func TestIsInternalAndKnows(t *testing.T) {
	m := compile(t, issueConfig)
	for domain, internal := range map[string]bool{
		"registry.internal.example.com":     true,
		"REGISTRY.internal.example.com":     true,
		"hub.internal.example.com":          true,
		"allowed.example.com:5000":          true,
		"allowed.example.com":               false,
		"docker.io":                         false,
		"quay.io":                           false,
		"registry.internal.example.com:443": true, // the default port is the same registry
		"quay.io:443":                       false,
	} {
		if got := m.IsInternal(domain); got != internal {
			t.Errorf("IsInternal(%q) = %v, want %v", domain, got, internal)
		}
	}
	for domain, known := range map[string]bool{
		"registry.internal.example.com": true,
		"docker.io":                     true, // a rule source
		"quay.io":                       true,
		"europe-west3-docker.pkg.dev":   true,
		"ghcr.io":                       false,
	} {
		if got := m.Knows(domain); got != known {
			t.Errorf("Knows(%q) = %v, want %v", domain, got, known)
		}
	}
	if got := m.Mirror(); got != "registry.internal.example.com/mirror" {
		t.Errorf("Mirror() = %q", got)
	}
	if got := m.PullSecrets(); len(got) != 1 || got[0] != "my-registry-secret" {
		t.Errorf("PullSecrets() = %q", got)
	}
}

func TestHint(t *testing.T) {
	ref, err := reference.Parse("ghcr.io/org/app:1")
	if err != nil {
		t.Fatal(err)
	}
	withRules := compile(t, "rules: [{from: quay.io, to: registry.internal.example.com/quay}]\n")
	if got := withRules.Hint(ref); !strings.Contains(got, "{from: ghcr.io, to: registry.internal.example.com/ghcr.io}") || !strings.Contains(got, "mirror") {
		t.Errorf("Hint = %q, want a rule for ghcr.io on the configured registry and the mirror option", got)
	}
	bare := compile(t, "")
	if got := bare.Hint(ref); !strings.Contains(got, "{from: ghcr.io, to: <your-registry>/ghcr.io}") {
		t.Errorf("Hint without rules = %q, want a placeholder registry", got)
	}
}

// TestMapDefaultPort: a reference that spells its registry with the default
// port is the registry without it (issue 23): a public one is rewritten by
// its rule, never taken for internal, and an internal one is kept as
// written.
func TestMapDefaultPort(t *testing.T) {
	m := compile(t, "mirror: registry.internal.example.com/mirror\nrules:\n  - from: quay.io/jetstack\n    to: registry.internal.example.com/jetstack\n")
	for in, want := range map[string]struct {
		dest   string
		status mapper.Status
	}{
		"quay.io:443/jetstack/cert-manager:1":           {"registry.internal.example.com/jetstack/cert-manager:1", mapper.Rewritten},
		"QUAY.IO:80/jetstack/cert-manager:1":            {"registry.internal.example.com/jetstack/cert-manager:1", mapper.Rewritten},
		"docker.io:443/nginx:1":                         {"registry.internal.example.com/mirror/library/nginx:1", mapper.Rewritten},
		"index.docker.io:443/bitnami/redis:7":           {"registry.internal.example.com/mirror/bitnami/redis:7", mapper.Rewritten},
		"registry.internal.example.com:443/mirror/x:1":  {"registry.internal.example.com:443/mirror/x:1", mapper.Internal},
		"registry.internal.example.com:5000/mirror/x:1": {"registry.internal.example.com/mirror/mirror/x:1", mapper.Rewritten}, // another port, another registry
	} {
		got, err := m.Map(in)
		if err != nil {
			t.Fatalf("Map(%q): %v", in, err)
		}
		if got.Dest != want.dest || got.Status != want.status {
			t.Errorf("Map(%q) = %q (status %v), want %q (status %v)", in, got.Dest, got.Status, want.dest, want.status)
		}
	}
	noMirror := compile(t, "allow: [registry.internal.example.com]\n")
	if got, err := noMirror.Map("quay.io:443/evil/app:1"); err != nil || got.Status != mapper.Unmapped {
		t.Errorf("Map(quay.io:443/...) without a mirror = %+v, %v; want it unmapped (public)", got, err)
	}
}

func TestMapPrefix(t *testing.T) {
	cfg := &config.Config{Mirror: "registry.internal.example.com/mirror", Rules: []mapper.Rule{{From: "gcr.io/istio-release", To: "registry.internal.example.com/istio"}, {From: "quay.io/org/special", To: "registry.internal.example.com/special"}}}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ prefix, want, err string }{
		{"docker.io/istio", "registry.internal.example.com/mirror/istio", ""},
		{"istio", "registry.internal.example.com/mirror/istio", ""},
		{"gcr.io/istio-release", "registry.internal.example.com/istio", ""},
		{"gcr.io/istio-release/sub", "registry.internal.example.com/istio/sub", ""},
		{"quay.io", "", "split by the rule"},
		{"registry.internal.example.com/mirror/istio", "registry.internal.example.com/mirror/istio", ""},
	}
	for _, tt := range tests {
		got, err := m.MapPrefix(tt.prefix)
		if tt.err != "" {
			if err == nil || !containsStr(err.Error(), tt.err) {
				t.Errorf("MapPrefix(%q) error = %v, want %q", tt.prefix, err, tt.err)
			}
			continue
		}
		if err != nil || got.Dest != tt.want {
			t.Errorf("MapPrefix(%q) = %q, %v; want %q", tt.prefix, got.Dest, err, tt.want)
		}
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
