package rewrite

import (
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
	k8syaml "sigs.k8s.io/yaml"
)

// readerTypedNames are secret names YAML readers take for other types when
// written plain: YAML 1.1 booleans (Kubernetes' sigs.k8s.io/yaml reads
// yes/no/on/off/y/n so), booleans and null in every version, and numbers.
var readerTypedNames = []string{
	"yes", "no", "on", "off", "y", "n", "true", "false", "null", "123", "1e3", "0x1f", "0o17", "012",
	"1.5", "2001-12-14", "1-2",
}

// TestSecretNamesRoundTripAsStrings writes each name through every way the
// engine adds pull secrets and reads the result back as Kubernetes does.
func TestSecretNamesRoundTripAsStrings(t *testing.T) {
	shapes := map[string]string{
		"block pod spec":  "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - image: registry.internal.example.com/a:1\n",
		"flow pod spec":   "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"p\"}, \"spec\": {\"containers\": [{\"image\": \"registry.internal.example.com/a:1\"}]}}\n",
		"block list":      "kind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets:\n    - name: x\n  containers:\n    - image: registry.internal.example.com/a:1\n",
		"flow list":       "kind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: [{name: x}]\n  containers:\n    - image: registry.internal.example.com/a:1\n",
		"empty flow list": "kind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: []\n  containers:\n    - image: registry.internal.example.com/a:1\n",
		"null":            "kind: Pod\nmetadata: {name: p}\nspec:\n  imagePullSecrets: ~\n  containers:\n    - image: registry.internal.example.com/a:1\n",
	}
	for _, name := range readerTypedNames {
		cfg := &config.Config{Allow: []string{"registry.internal.example.com"}, PullSecrets: []string{name}}
		m, err := cfg.Compile()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for shape, input := range shapes {
			t.Run(name+"/"+shape, func(t *testing.T) {
				out, _, err := runOpts(t, Options{Mapper: m}, input)
				if err != nil {
					t.Fatal(err)
				}
				var pod struct {
					Spec struct {
						ImagePullSecrets []map[string]any `json:"imagePullSecrets"`
					} `json:"spec"`
				}
				if err := k8syaml.Unmarshal([]byte(out), &pod); err != nil {
					t.Fatalf("the output does not read back: %v\n%s", err, out)
				}
				secrets := pod.Spec.ImagePullSecrets
				if len(secrets) == 0 || secrets[len(secrets)-1]["name"] != name {
					t.Fatalf("imagePullSecrets read back as %#v, want the string %q last:\n%s", secrets, name, out)
				}
			})
		}
	}
}

// TestQuoteNameAnyString covers names the config refuses but the writer
// must still keep as strings: quotes, backslashes, control characters.
func TestQuoteNameAnyString(t *testing.T) {
	names := append([]string{"", "~", "-", ".inf", "a b", "a: b", "#x", `quo"te`, `back\slash`, "tab\there", "nl\nx", "\u2028", "é", "plain-name.x_1", "1_000", "YES", "Off", "NULL"}, readerTypedNames...)
	for _, name := range names {
		for _, doc := range []string{"name: " + quoteName(name) + "\n", "items: [" + flowItems([]string{name}) + "]\n"} {
			var v map[string]any
			if err := k8syaml.Unmarshal([]byte(doc), &v); err != nil {
				t.Fatalf("%q: %v\n%s", name, err, doc)
			}
			got := v["name"]
			if items, ok := v["items"].([]any); ok {
				got = items[0].(map[string]any)["name"]
			}
			if got != name {
				t.Errorf("%q reads back as %#v (%T) from %q", name, got, got, doc)
			}
		}
	}
	for _, plain := range []string{"regcred", "my-registry-secret", "a.b_c"} {
		if got := quoteName(plain); got != plain {
			t.Errorf("quoteName(%q) = %s, want it plain", plain, got)
		}
	}
	if !strings.HasPrefix(quoteName("yes"), `"`) {
		t.Error("yes must be quoted")
	}
}
