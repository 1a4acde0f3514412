package config

import (
	"github.com/plexicus/helm-airgap/rules/detect"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// load parses and compiles a config, as the CLI does.
func load(config string) (*Config, *mapper.Mapper, error) {
	cfg, err := Parse([]byte(config), "airgap.yaml")
	if err != nil {
		return nil, nil, err
	}
	m, err := cfg.Compile()
	return cfg, m, err
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, config string
		want         []string // every one must appear in the error
	}{
		{"unknown top-level key", "mirror: registry.internal.example.com/m\nmirrors: x\n",
			[]string{"airgap.yaml:2: mirrors: unknown key"}},
		{"unknown key in a rule", "rules:\n  - form: docker.io\n    to: registry.internal.example.com/hub\n",
			[]string{"airgap.yaml:2: rules[0].form: unknown key"}},
		{"unknown key in an image field", "imageFields:\n  - kind: Foo\n    path: spec.image\n    group: x\n",
			[]string{"airgap.yaml:4: imageFields[0].group: unknown key"}},
		{"every unknown key is named", "a: 1\nrules:\n  - from: docker.io\n    to: registry.internal.example.com/hub\n    b: 2\n",
			[]string{"airgap.yaml:1: a: unknown key", "airgap.yaml:5: rules[0].b: unknown key"}},
		{"invalid from", "rules:\n  - from: docker.io/Bitnami\n    to: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:2: rules[0].from: invalid source \"docker.io/Bitnami\""}},
		{"from with a tag", "rules:\n  - from: quay.io/jetstack/x:v1\n    to: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:2: rules[0].from: invalid source \"quay.io/jetstack/x:v1\""}},
		{"empty from", "rules:\n  - to: registry.internal.example.com/b\n",
			[]string{"rules[0].from: invalid source \"\": empty"}},
		{"invalid to", "rules:\n  - from: docker.io\n    to: registry.internal.example.com/B@x\n",
			[]string{"airgap.yaml:3: rules[0].to: invalid destination \"registry.internal.example.com/B@x\""}},
		{"to without a registry host", "rules:\n  - from: docker.io\n    to: plexicus/images\n",
			[]string{"airgap.yaml:3: rules[0].to: invalid destination \"plexicus/images\"", "registry host"}},
		{"public to", "rules:\n  - from: docker.io\n    to: quay.io/me\n",
			[]string{"airgap.yaml:3: rules[0].to: destination \"quay.io/me\" is a public registry"}},
		{"public to on a wildcard registry", "rules:\n  - from: docker.io\n    to: europe-docker.pkg.dev/me/repo\n",
			[]string{"airgap.yaml:3: rules[0].to: destination \"europe-docker.pkg.dev/me/repo\" is a public registry"}},
		{"public mirror", "mirror: docker.io/me\n",
			[]string{"airgap.yaml:1: mirror: destination \"docker.io/me\" is a public registry"}},
		{"public mirror, legacy hub name", "mirror: index.docker.io/me\n",
			[]string{"airgap.yaml:1: mirror: destination \"index.docker.io/me\" is a public registry"}},
		{"invalid mirror", "mirror: \"registry.internal.example.com/m:tag\"\n",
			[]string{"airgap.yaml:1: mirror: invalid destination"}},
		{"duplicate from", "rules:\n  - from: docker.io/bitnami\n    to: registry.internal.example.com/a\n  - from: docker.io/bitnami\n    to: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:4: rules[1].from: duplicate source \"docker.io/bitnami\" (also rules[0])"}},
		{"duplicate from after normalization", "rules:\n  - from: docker.io/bitnami\n    to: registry.internal.example.com/a\n  - from: index.docker.io/bitnami\n    to: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:4: rules[1].from: duplicate source \"index.docker.io/bitnami\" (also rules[0])"}},
		{"duplicate domain from", "rules:\n  - from: docker.io\n    to: registry.internal.example.com/a\n  - from: index.docker.io\n    to: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:4: rules[1].from: duplicate source \"index.docker.io\""}},
		{"from on an internal registry", "mirror: registry.internal.example.com/m\nrules:\n  - from: registry.internal.example.com/x\n    to: registry.internal.example.com/y\n",
			[]string{"airgap.yaml:3: rules[0].from: source \"registry.internal.example.com/x\" is on an internal registry"}},
		{"unsupported apiVersion", "apiVersion: helm-airgap/v2\nmirror: registry.internal.example.com/m\n",
			[]string{"airgap.yaml:1: apiVersion: unsupported apiVersion \"helm-airgap/v2\""}},
		{"public allow", "allow: [registry.internal.example.com, quay.io]\n",
			[]string{"airgap.yaml:1: allow[1]: \"quay.io\" is a public registry"}},
		{"allow with a path", "allow:\n  - registry.internal.example.com/x\n",
			[]string{"airgap.yaml:2: allow[0]: invalid registry domain \"registry.internal.example.com/x\""}},
		{"invalid pull secret", "pullSecrets: [ok, Not_OK]\n",
			[]string{"airgap.yaml:1: pullSecrets[1]: invalid secret name \"Not_OK\""}},
		{"image field without kind", "imageFields:\n  - path: spec.image\n",
			[]string{"imageFields[0].kind: kind is required"}},
		{"image field with a bad path", "imageFields:\n  - kind: Foo\n    path: spec..image\n",
			[]string{"airgap.yaml:3: imageFields[0].path: parsing field path \"spec..image\""}},
		{"image field path ending in a sequence", "imageFields:\n  - kind: Foo\n    path: spec.images[]\n",
			[]string{"airgap.yaml:3: imageFields[0].path:", "last step"}},
		{"every problem is reported", "mirror: docker.io/x\nrules:\n  - from: docker.io\n    to: quay.io/y\n",
			[]string{"airgap.yaml:1: mirror:", "airgap.yaml:4: rules[0].to:"}},
		{"malformed YAML", "mirror: [registry\n",
			[]string{"airgap.yaml:1: invalid YAML:"}},
		// yaml names the line the block starts on (3); the break is on 5.
		{"a bad indent names its own line", "apiVersion: helm-airgap/v1\nmirror: registry.internal.example.com/m\nrules:\n - from: a.example.com\n to: b\n",
			[]string{"airgap.yaml:5: invalid YAML:"}},
		{"a stray key names its own line", "rules:\n  - from: docker.io\n    to: r.example.com/d\nmirror: r.example.com/m\n  bad: indent\n",
			[]string{"airgap.yaml:5: invalid YAML:"}},
		{"duplicate key", "mirror: registry.internal.example.com/a\nmirror: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:2: ", "\"mirror\" already defined"}},
		{"not a mapping", "- mirror: registry.internal.example.com/a\n",
			[]string{"airgap.yaml:1: "}},
		{"wrong type", "rules: docker.io\n",
			[]string{"airgap.yaml:1: ", "rules"}},
		{"a misspelt key", "mirrors: registry.internal.example.com/m\n",
			[]string{"airgap.yaml:1: mirrors: unknown key (did you mean mirror?)"}},
		{"a misspelt nested key", "rules:\n  - form: docker.io\n    to: registry.internal.example.com/d\n",
			[]string{"airgap.yaml:2: rules[0].form: unknown key (did you mean from?)"}},
		{"an unknown key nothing is near", "frobnicate: 1\n",
			[]string{"airgap.yaml:1: frobnicate: unknown key (known: apiVersion, mirror,"}},
		{"every kind of problem at once", "mirrors: registry.internal.example.com/m\npullSecrets: regcred\nallow: [x.example.com, {a: b}]\nrules: {docker.io: r.example.com/d}\n",
			[]string{"airgap.yaml:1: mirrors: unknown key", "airgap.yaml:2: pullSecrets: want a list", "airgap.yaml:3: cannot unmarshal", "airgap.yaml:4: rules: rules is a list"}},
		{"a second document", "mirror: registry.internal.example.com/a\n---\nmirror: registry.internal.example.com/b\n",
			[]string{"airgap.yaml:2: a config file holds one document"}},
		// A default port names the same registry (issue 23).
		{"public mirror with its default port", "mirror: quay.io:443/me\n",
			[]string{"airgap.yaml:1: mirror: destination \"quay.io:443/me\" is a public registry"}},
		{"public mirror over plain HTTP's port", "mirror: Docker.io:80/me\n",
			[]string{"airgap.yaml:1: mirror: destination \"Docker.io:80/me\" is a public registry"}},
		{"public to with its default port", "rules:\n  - from: docker.io\n    to: ghcr.io:443/me\n",
			[]string{"airgap.yaml:3: rules[0].to: destination \"ghcr.io:443/me\" is a public registry"}},
		{"public allow with its default port", "allow: [quay.io:443]\n",
			[]string{"airgap.yaml:1: allow[0]: \"quay.io:443\" is a public registry"}},
		{"public allow on a newly listed host", "allow: [lscr.io]\n",
			[]string{"airgap.yaml:1: allow[0]: \"lscr.io\" is a public registry"}},
		{"from on an internal registry, spelt with its port", "mirror: registry.internal.example.com/m\nrules:\n  - from: registry.internal.example.com:443/x\n    to: registry.internal.example.com/y\n",
			[]string{"airgap.yaml:3: rules[0].from: source \"registry.internal.example.com:443/x\" is on an internal registry"}},
		// An ignore entry must select (issue 23).
		{"ignore without a selector", "mirror: registry.internal.example.com/m\nignore:\n  - reason: too noisy\n",
			[]string{"airgap.yaml:3: ignore[0]: an ignore entry needs a selector", "kind: ConfigMap"}},
		{"ignore of every image", "mirror: registry.internal.example.com/m\nignore:\n  - image: \"*\"\n    reason: too noisy\n",
			[]string{"airgap.yaml:3: ignore[0].image: \"*\" matches every image", "leave the key out"}},
		{"ignore of every kind, with a name", "ignore:\n  - kind: \"**\"\n    name: web\n    reason: r\n",
			[]string{"airgap.yaml:2: ignore[0].kind: \"**\" matches every kind"}},
		{"ignore of every field", "ignore:\n  - field: \"*\"\n    reason: r\n",
			[]string{"airgap.yaml:2: ignore[0].field: \"*\" matches every field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, m, err := load(tt.config)
			if err == nil {
				t.Fatalf("config accepted (mapper %v), want an error", m != nil)
			}
			if m != nil {
				t.Fatal("a failed config returned a mapper")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\ndoes not contain %q", err, want)
				}
			}
		})
	}
}

func TestConfigAccepted(t *testing.T) {
	tests := []struct{ name, config string }{
		{"empty file", ""},
		{"comments only", "# nothing configured yet\n"},
		{"current apiVersion", "apiVersion: helm-airgap/v1\nmirror: registry.internal.example.com/m\n"},
		{"no apiVersion reads as current", "mirror: registry.internal.example.com/m\n"},
		{"mirror without a path", "mirror: registry.internal.example.com\n"},
		{"mirror on localhost", "mirror: localhost:5000/mirror\n"},
		{"the issue's config", issueConfig},
		{"domain-only rule", "rules: [{from: quay.io, to: registry.internal.example.com/quay}]\n"},
		{"image fields", "imageFields:\n  - apiVersion: example.com/v1\n    kind: Foo\n    path: spec.sidecars[].image\n"},
		{"JSON", `{"mirror": "registry.internal.example.com/m", "pullSecrets": ["a"]}`},
		{"ignore with one selector", "ignore:\n  - kind: ConfigMap\n    reason: docs only\n"},
		{"ignore with a pattern", "ignore:\n  - image: \"quay.io/org/*\"\n    namespace: \"team-*\"\n    reason: r\n"},
		{"mirror with a port kept", "mirror: registry.internal.example.com:443/m\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := load(tt.config); err != nil {
				t.Fatalf("config rejected: %v", err)
			}
		})
	}
}

func TestConfigAPIVersionDefault(t *testing.T) {
	cfg, err := Parse([]byte("mirror: registry.internal.example.com/m\n"), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIVersion != "" && cfg.APIVersion != APIVersion {
		t.Fatalf("APIVersion = %q", cfg.APIVersion)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "airgap.yaml")
	if err := os.WriteFile(path, []byte("mirror: registry.internal.example.com/m\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), path+":2: bogus: unknown key") {
		t.Fatalf("LoadFile = %v, want the file, line and key named", err)
	}
	_, err = LoadFile(filepath.Join(dir, "missing.yaml"))
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("LoadFile of a missing file = %v, want it named", err)
	}
}

func TestApplyOverrides(t *testing.T) {
	cfg, err := Parse([]byte(`
mirror: registry.internal.example.com/file
rules:
  - from: docker.io/bitnami
    to: registry.internal.example.com/file-bitnami
  - from: quay.io
    to: registry.internal.example.com/quay
pullSecrets: [file-secret]
allow: [a.internal.example.com]
`), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Apply(Overrides{
		Mirror: "registry.internal.example.com/flag",
		Rules: []mapper.Rule{
			{From: "index.docker.io/bitnami", To: "registry.internal.example.com/flag-bitnami"}, // same source, other spelling
			{From: "ghcr.io", To: "registry.internal.example.com/ghcr"},
		},
		PullSecrets: []string{"file-secret", "flag-secret"},
		Allow:       []string{"b.internal.example.com", "a.internal.example.com"},
	})
	m, err := cfg.Compile()
	if err != nil {
		t.Fatalf("Compile after Apply: %v", err)
	}
	if m.Mirror() != "registry.internal.example.com/flag" {
		t.Errorf("mirror = %q, want the flag's", m.Mirror())
	}
	for in, want := range map[string]string{
		"bitnami/redis:7":   "registry.internal.example.com/flag-bitnami/redis:7",
		"quay.io/a/b:1":     "registry.internal.example.com/quay/a/b:1",
		"ghcr.io/a/b:1":     "registry.internal.example.com/ghcr/a/b:1",
		"registry.io/x/y:1": "registry.internal.example.com/flag/x/y:1",
	} {
		got, err := m.Map(in)
		if err != nil || got.Dest != want {
			t.Errorf("Map(%q) = %q, %v; want %q", in, got.Dest, err, want)
		}
	}
	if got := strings.Join(m.PullSecrets(), ","); got != "file-secret,flag-secret" {
		t.Errorf("pull secrets = %s, want the file's then the flag's, no duplicates", got)
	}
	if !m.IsInternal("b.internal.example.com") || !m.IsInternal("a.internal.example.com") {
		t.Error("allowed domains from the file and the flags must both be internal")
	}
	if len(cfg.Allow) != 2 {
		t.Errorf("allow = %v, want no duplicates", cfg.Allow)
	}
}

func TestApplyErrorsNameTheFlag(t *testing.T) {
	cfg, err := Parse([]byte("mirror: registry.internal.example.com/file\n"), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Apply(Overrides{
		Mirror:      "docker.io/flag",
		Rules:       []mapper.Rule{{From: "quay.io", To: "ghcr.io/x"}},
		PullSecrets: []string{"Bad_Name"},
		Allow:       []string{"quay.io"},
	})
	_, err = cfg.Compile()
	if err == nil {
		t.Fatal("Compile accepted public destinations from flags")
	}
	for _, want := range []string{
		"--mirror: destination \"docker.io/flag\" is a public registry",
		"--rule quay.io=ghcr.io/x: destination \"ghcr.io/x\" is a public registry",
		"--pull-secret Bad_Name: invalid secret name",
		"--allow quay.io: \"quay.io\" is a public registry",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\ndoes not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "airgap.yaml:1") {
		t.Errorf("error %q blames the file's line for a flag's value", err)
	}
}

func TestParseRuleFlag(t *testing.T) {
	r, err := ParseRuleFlag("docker.io/bitnamilegacy=registry.internal.example.com/bitnami")
	if err != nil || r.From != "docker.io/bitnamilegacy" || r.To != "registry.internal.example.com/bitnami" {
		t.Fatalf("ParseRuleFlag = %+v, %v", r, err)
	}
	for _, bad := range []string{"", "docker.io", "=x", "x=", "="} {
		if _, err := ParseRuleFlag(bad); err == nil || !strings.Contains(err.Error(), "FROM=TO") {
			t.Errorf("ParseRuleFlag(%q) = %v, want a FROM=TO error", bad, err)
		}
	}
}

func TestBuiltinImageFieldsValid(t *testing.T) {
	builtin := detect.NewCatalogue(detect.BuiltinOperators(), nil).AllImageFields()
	cfg := &Config{ImageFields: builtin}
	if _, err := cfg.Compile(); err != nil {
		t.Fatalf("built-in image fields do not compile: %v", err)
	}
	var prometheus, alertmanager bool
	for _, f := range builtin {
		prometheus = prometheus || (f.Kind == "Prometheus" && f.Path == "spec.image")
		alertmanager = alertmanager || (f.Kind == "Alertmanager" && f.Path == "spec.image")
	}
	if !prometheus || !alertmanager {
		t.Fatal("prometheus-operator Prometheus and Alertmanager spec.image must be built in")
	}
}

func TestIgnoreMatches(t *testing.T) {
	ig := Ignore{Kind: "Deploy*", Field: "spec.template.spec.containers[*].image", Reason: "r"}
	if !ig.Matches("Deployment", "ns", "web", "spec.template.spec.containers[1].image", "quay.io/x:1") {
		t.Error("a bracketed field pattern did not match")
	}
	if ig.Matches("Deployment", "ns", "web", "spec.template.spec.initContainers[0].image", "quay.io/x:1") {
		t.Error("initContainers matched a containers pattern")
	}
	parent := Ignore{Field: "data", Reason: "r"}
	if !parent.Matches("ConfigMap", "", "c", "data.values.json > image", "a/b:1") {
		t.Error("a parent field did not match")
	}
}

// issueConfig is the config from the issue: rules, a catch-all mirror
// and an allowed internal registry (shared with rules/mapper's tests).
var issueConfig = func() string {
	data, err := os.ReadFile("../testdata/issue-config.yaml")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

// TestCompileErrorsInConfigOrder: every problem is reported in the order
// the file holds it, also where the mapper tries rules longest first.
func TestCompileErrorsInConfigOrder(t *testing.T) {
	_, _, err := load(`mirror: registry.internal.example.com/m
rules:
  - {from: registry.internal.example.com/a, to: registry.internal.example.com/x}
  - {from: registry.internal.example.com/longer/path, to: registry.internal.example.com/y}
`)
	if err == nil {
		t.Fatal("rules from an internal registry were accepted")
	}
	first, second := strings.Index(err.Error(), "rules[0].from"), strings.Index(err.Error(), "rules[1].from")
	if first < 0 || second < 0 || first > second {
		t.Errorf("errors not in the config's order:\n%v", err)
	}
}
