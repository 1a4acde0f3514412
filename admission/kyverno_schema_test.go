package admission

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	validator "github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// Kyverno's ClusterPolicy CRD is read from the Kyverno module itself, as
// the module proxy serves it (pinned by version and checksum): its
// openAPIV3Schema is the schema Kyverno documents and the API server
// enforces for ClusterPolicy objects.
const (
	kyvernoModule  = "github.com/kyverno/kyverno@v1.19.1"
	kyvernoSum     = "h1:/MkgFii3/VlQfKR1JpC9tVwNNVNQTt2S4U6qCsafsTU="
	kyvernoCRDPath = "config/crds/kyverno/kyverno.io_clusterpolicies.yaml"
)

// kyvernoCRD downloads the pinned Kyverno module (once per machine: the
// module cache) and returns its ClusterPolicy CRD.
func kyvernoCRD(t *testing.T) map[string]any {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", kyvernoModule)
	cmd.Dir = t.TempDir() // outside any module: only the one module is fetched
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod download %s: %v\n%s", kyvernoModule, err, out)
	}
	var mod struct{ Dir, Sum string }
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	if mod.Sum != kyvernoSum {
		t.Fatalf("%s has checksum %s, pinned %s", kyvernoModule, mod.Sum, kyvernoSum)
	}
	data, err := os.ReadFile(filepath.Join(mod.Dir, kyvernoCRDPath))
	if err != nil {
		t.Fatal(err)
	}
	var crd map[string]any
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatalf("reading %s: %v", kyvernoCRDPath, err)
	}
	return crd
}

// servedSchema is the openAPIV3Schema of the CRD's storage version (v1).
func servedSchema(t *testing.T, crd map[string]any, version string) map[string]any {
	t.Helper()
	versions, _ := lookup(crd, "spec", "versions").([]any)
	for _, v := range versions {
		v := v.(map[string]any)
		if v["name"] == version {
			if schema, ok := lookup(v, "schema", "openAPIV3Schema").(map[string]any); ok {
				return schema
			}
		}
	}
	t.Fatalf("the CRD has no %s schema", version)
	return nil
}

func lookup(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[k]
	}
	return cur
}

// strictSchema turns a structural OpenAPI schema into a JSON Schema that
// refuses unknown fields, as the API server's strict field validation
// does: every object that declares its properties and does not preserve
// unknown fields gets additionalProperties: false.
func strictSchema(node any) any {
	switch n := node.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range n {
			switch k {
			case "properties":
				props := map[string]any{}
				for name, sub := range v.(map[string]any) {
					props[name] = strictSchema(sub)
				}
				out[k] = props
			case "items", "additionalProperties":
				out[k] = strictSchema(v)
			case "description", "x-kubernetes-validations":
				// prose, and CEL rules only the API server evaluates
			default:
				out[k] = v
			}
		}
		_, declared := n["properties"]
		_, open := n["additionalProperties"]
		if declared && !open && n["x-kubernetes-preserve-unknown-fields"] != true {
			out["additionalProperties"] = false
		}
		return out
	case []any:
		out := make([]any, len(n))
		for i, v := range n {
			out[i] = strictSchema(v)
		}
		return out
	}
	return node
}

// TestKyvernoPolicyMatchesItsCRD validates every Kyverno policy written for
// the bundled config, and the golden files, against Kyverno's own
// ClusterPolicy schema, unknown fields refused; and checks that the schema
// does refuse what it should (the test can fail).
func TestKyvernoPolicyMatchesItsCRD(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads the Kyverno module (-short)")
	}
	schemaJSON, err := json.Marshal(strictSchema(servedSchema(t, kyvernoCRD(t), "v1")))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := validator.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		t.Fatal(err)
	}
	c := validator.NewCompiler()
	if err := c.AddResource("clusterpolicy.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("clusterpolicy.json")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(data []byte) error {
		jsonData, err := yaml.YAMLToJSON(data)
		if err != nil {
			return err
		}
		v, err := validator.UnmarshalJSON(bytes.NewReader(jsonData))
		if err != nil {
			return err
		}
		return schema.Validate(v)
	}
	m := sampleMapper(t)
	for _, action := range []Action{Deny, Warn, Audit} {
		for _, lock := range []bool{false, true} {
			o := Options{Name: "helm-airgap-images", Action: action, RequireDigest: lock, NamespaceSelector: nameSelector(t, "platform"), ObjectSelector: nameSelector(t, "x")}
			out, err := WriteKyverno(m, o)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(out); err != nil {
				t.Errorf("%s, lock %v: Kyverno's schema refuses the policy: %v", action, lock, err)
			}
		}
	}
	for _, golden := range []string{"kyverno.yaml", "kyverno-scoped-warn-lock.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		if err := validate(data); err != nil {
			t.Errorf("%s: Kyverno's schema refuses it: %v", golden, err)
		}
	}
	good, _ := WriteKyverno(m, Options{Name: "p", Action: Deny})
	for name, broken := range map[string]string{
		"unknown field":  strings.Replace(string(good), "allowExistingViolations:", "allowExistingViolation:", 1),
		"unknown action": strings.Replace(string(good), "failureAction: Enforce", "failureAction: Block", 1),
	} {
		if validate([]byte(broken)) == nil {
			t.Errorf("the schema accepts a policy with an %s: the check cannot fail", name)
		}
	}
}
