package rewrite

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// The engine's part of issue 23's medium and low findings.

// Base64 data holding escaped JSON ("quay.io\/x\/y:1") panicked with a nil
// pointer at every entry point; it is refused by name.
func TestEscapedJSONInBase64DataIsRefused(t *testing.T) {
	for _, tc := range []struct{ name, kind, field string }{
		{"Secret data", "Secret", "data"},
		{"ConfigMap binaryData", "ConfigMap", "binaryData"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := base64.StdEncoding.EncodeToString([]byte(`{"image":"quay.io\/x\/y:1"}`))
			in := fmt.Sprintf("apiVersion: v1\nkind: %s\nmetadata: {name: s}\n%s:\n  cfg.json: %s\n", tc.kind, tc.field, data)
			_, report, err := runOpts(t, engineOptions(t, testConfig), in)
			var pe *PolicyError
			if !errors.As(err, &pe) || len(report.Offenders) != 1 || !strings.Contains(report.Offenders[0].Refused, "escaped slashes") {
				t.Fatalf("want the escaped reference refused by name, got %v (%+v)", err, report)
			}
		})
	}
}

// Secrets inside a kind: List and ConfigMap binaryData are decoded like a
// Secret's data at the top of a document.
func TestBase64DataIsDecodedEverywhere(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct{ name, input string }{
		{"a Secret in a List", "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: s}\n    data:\n      IMAGE: " + enc("quay.io/x/y:1") + "\n"},
		{"ConfigMap binaryData", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nbinaryData:\n  images.txt: " + enc("helper=quay.io/x/y:1\n") + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := occurrences(t, testConfig, tc.input)
			if len(got) != 1 || !strings.Contains(got[0], "quay.io/x/y:1") {
				t.Fatalf("want the base64 reference found, got %q", got)
			}
			out, _ := rewriteOK(t, testConfig, tc.input)
			if strings.Contains(out, enc("quay.io/x/y:1")) {
				t.Fatalf("the encoded reference is still there:\n%s", out)
			}
		})
	}
}

// A registry-only setting whose registry no rule maps is refused by name.
func TestUnmappedRegistrySettingIsRefused(t *testing.T) {
	config := "rules:\n  - from: docker.io\n    to: registry.internal.example.com/hub\nallow: [registry.internal.example.com]\n"
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: operator}\ndata:\n  config.yaml: |\n    container-registry: docker.elastic.co\n"
	_, report, err := runOpts(t, engineOptions(t, config), in)
	var pe *PolicyError
	if !errors.As(err, &pe) || len(report.Offenders) != 1 {
		t.Fatalf("want one offender, got %v (%+v)", err, report)
	}
	if o := report.Offenders[0]; o.Mapping.Source.Written != "docker.elastic.co" || o.Part != "prefix" ||
		!strings.Contains(o.Field, "container-registry") {
		t.Fatalf("offender %+v does not name the setting", o)
	}
}

// FuzzBase64Text places arbitrary text in every host the engine decodes
// (a Secret's data, ConfigMap binaryData, a !!binary value) and in plain
// hosts (ConfigMap data, an env value). FuzzRewrite could not find the
// escaped-JSON panic: random bytes are rarely the base64 of anything. Every
// run must end in output, an input error or a policy error, and output must
// be a fixed point.
func FuzzBase64Text(f *testing.F) {
	for _, s := range []string{
		`{"image":"quay.io\/x\/y:1"}`, "image: quay.io/x/y:1\n", "--helper-image=quay.io/x/y:1",
		"a: {image: \"quay.io\\u002fx\\u002fy:1\"}\n", "IMAGE=nginx\nREGISTRY=quay.io\n", "registry: quay.io\n",
		"proxy:\n  image:\n    name: ghcr.io/x/y\n    version: v1\n", "#!/bin/sh\nexec quay.io/x/y:1 \"$@\"\n",
	} {
		f.Add(s)
	}
	opts := engineOptions(f, testConfig)
	opts.Workers = 1
	f.Fuzz(func(t *testing.T, text string) {
		enc := base64.StdEncoding.EncodeToString([]byte(text))
		for _, doc := range []string{
			"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  v: " + enc + "\n",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nbinaryData:\n  v: " + enc + "\n",
			"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.internal.example.com/ok:1\n    env: [{name: V, value: !!binary " + enc + "}]\n",
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  v: " + quoteYAML(text) + "\n",
		} {
			out, err := runString(opts, doc)
			if err != nil {
				var ie *InputError
				var pe *PolicyError
				if !errors.As(err, &ie) && !errors.As(err, &pe) {
					t.Fatalf("error %v (%T) is neither an input nor a policy error", err, err)
				}
				continue
			}
			if again, err := runString(opts, out); err != nil || again != out {
				t.Fatalf("not a fixed point (%v):\n%s\n%s", err, out, again)
			}
		}
	})
}

func runString(opts Options, in string) (string, error) {
	var out strings.Builder
	_, err := Run(strings.NewReader(in), &out, opts)
	return out.String(), err
}

// quoteYAML writes text as a double-quoted YAML scalar.
func quoteYAML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteString(`\` + string(r))
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// BenchmarkDenseLiteral is issue 23's quadratic case: one literal block
// dense with references (go test -bench DenseLiteral ./rewrite/). valueByte
// found each reference's line by counting from the start of the block; it
// now searches the block's line offsets.
func BenchmarkDenseLiteral(b *testing.B) {
	var block strings.Builder
	for i := 0; i < 100_000; i++ {
		fmt.Fprintf(&block, "    quay.io/vendor/image-%06d:1.0.0\n", i)
	}
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dense}\ndata:\n  images.txt: |\n" + block.String()
	opts := engineOptions(b, testConfig)
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Run(strings.NewReader(in), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
}
