package configschema

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite docs/config.schema.json")

const committed = "docs/config.schema.json"

// TestSchemaIsCurrent regenerates the schema from the Go types and compares
// it with the committed docs/config.schema.json
// (go test ./internal/configschema -update refreshes it).
func TestSchemaIsCurrent(t *testing.T) {
	t.Chdir("../..") // Generate reads rules/*.go from the module root
	got, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: run go test ./internal/configschema -update", committed)
	}
}

// TestSchemaAgreesWithParse: every config in the repository that Parse
// accepts the schema accepts, and the mistakes Parse refuses for their
// shape (unknown keys, wrong types) the schema refuses too.
func TestSchemaAgreesWithParse(t *testing.T) {
	t.Chdir("../..")
	schema := compile(t)
	samples, _ := filepath.Glob("testdata/*/config.yaml")
	samples = append(samples, "testdata/charts/airgap.yaml", "argocd/airgap.yaml")
	for _, file := range samples {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := config.Parse(data, file); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if err := schema.Validate(instance(t, data)); err != nil {
			t.Errorf("%s: Parse accepts it, the schema does not: %v", file, err)
		}
	}
	tests := []struct{ name, config string }{
		{"unknown key", "mirrors: registry.example.com/m\n"},
		{"unknown rule key", "rules:\n  - from: docker.io\n    too: registry.example.com/hub\n"},
		{"rules as a mapping", "rules:\n  docker.io: registry.example.com/hub\n"},
		{"rule without to", "rules:\n  - from: docker.io\n"},
		{"pull secrets as a string", "pullSecrets: regcred\n"},
		{"issuer kind", "issuer: {name: ca, kind: Certificate}\n"},
		{"egress strict as a list", "egress: {strict: [yes]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := schema.Validate(instance(t, []byte(tt.config))); err == nil {
				t.Errorf("the schema accepts:\n%s", tt.config)
			}
		})
	}
	for _, ok := range []string{"issuer: internal-ca\n", "issuer: {name: internal-ca, kind: Issuer}\n", "egress: {enabled: true, allow: [{host: \"*.example.org\"}]}\n"} {
		if err := schema.Validate(instance(t, []byte(ok))); err != nil {
			t.Errorf("the schema refuses %q: %v", ok, err)
		}
	}
}

func compile(t *testing.T) *validator.Schema {
	t.Helper()
	data, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := validator.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource(ID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(ID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func instance(t *testing.T, cfgText []byte) any {
	t.Helper()
	data, err := yaml.YAMLToJSON(cfgText)
	if err != nil {
		t.Fatal(err)
	}
	v, err := validator.UnmarshalJSON(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
