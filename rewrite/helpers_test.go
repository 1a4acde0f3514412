package rewrite

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
	"go.yaml.in/yaml/v3"
)

// testConfig is the sample config with a catch-all mirror.
const testConfig = `
mirror: registry.internal.example.com/mirror
rules:
  - from: europe-west3-docker.pkg.dev/plexicus-registry/platform
    to: registry.internal.example.com/plexicus
  - from: europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone
    to: registry.internal.example.com/plexicus/standalone
  - from: docker.io/bitnamilegacy
    to: registry.internal.example.com/bitnami
pullSecrets: [my-registry-secret]
allow: [registry.internal.example.com]
`

// mirror is testConfig's catch-all prefix.
const mirror = "registry.internal.example.com/mirror"

// engineOptions compiles a config into engine options with the built-in
// image fields and the config's own, as the CLI does.
func engineOptions(t testing.TB, cfgText string) Options {
	t.Helper()
	cfg, err := config.Parse([]byte(cfgText), "airgap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return Options{Mapper: m, Catalogue: cfg.Catalogue(), Ignore: cfg.Ignore}
}

// recorder is an output that remembers whether anything was written to it
// at all, even an empty slice.
type recorder struct {
	bytes.Buffer
	writes int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.writes++
	return r.Buffer.Write(p)
}

// runOpts runs the engine and enforces what holds for every run: nothing is
// written on an error, and the fast path (prefilter) and the full parse agree.
func runOpts(t testing.TB, opts Options, input string) (string, *Report, error) {
	t.Helper()
	var out recorder
	report, err := Run(strings.NewReader(input), &out, opts)
	if err != nil {
		if out.writes != 0 {
			t.Fatalf("Run failed (%v) but wrote %d bytes: the output must stay empty", err, out.Len())
		}
		return "", report, err
	}
	if !opts.SkipImageless && !opts.CheckOnly {
		fast := opts
		fast.SkipImageless, fast.Workers, fast.Observers = true, 3, nil
		for _, o := range opts.Observers { // the verdicts, not the image observers: they saw the run
			if o.Release != nil {
				fast.Observe(Observer{Release: o.Release})
			}
		}
		var again bytes.Buffer
		if _, err := Run(strings.NewReader(input), &again, fast); err != nil {
			t.Fatalf("the fast path fails (%v) where the full parse succeeded", err)
		}
		if again.String() != out.String() {
			t.Fatalf("the fast path and the full parse differ:\nfast:\n%s\nfull:\n%s", out.String(), again.String())
		}
	}
	return out.String(), report, nil
}

// rewriteOK runs testConfig (or config) over input, requires success, and
// checks idempotence byte for byte and that check passes on the output.
func rewriteOK(t testing.TB, cfgText, input string) (string, *Report) {
	t.Helper()
	opts := engineOptions(t, cfgText)
	out, report, err := runOpts(t, opts, input)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	again, _, err := runOpts(t, opts, out)
	if err != nil {
		t.Fatalf("rewriting the output again: %v\noutput:\n%s", err, out)
	}
	if again != out {
		t.Fatalf("not idempotent:\nfirst:\n%s\nsecond:\n%s", out, again)
	}
	check := opts
	check.CheckOnly = true
	if _, _, err := runOpts(t, check, out); err != nil {
		t.Fatalf("check fails on the rewritten output: %v", err)
	}
	return out, report
}

// occurrences lists every reference the engine finds, as offender-style
// lines with the image as written.
func occurrences(t testing.TB, cfgText, input string) []string {
	t.Helper()
	opts := engineOptions(t, cfgText)
	var found []string
	opts.Observe(Observer{Image: func(o Occurrence) { found = append(found, o.describe()) }})
	if _, _, err := runOpts(t, opts, input); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return found
}

// inputError requires err to be an *InputError mentioning every want.
func inputError(t testing.TB, err error, want ...string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want an *InputError", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not mention %q", err, w)
		}
	}
}

// decodeAll parses a stream into generic values, one per non-empty document.
func decodeAll(t testing.TB, stream string) []any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stream))
	var docs []any
	for {
		var v any
		err := dec.Decode(&v)
		if err != nil {
			if err.Error() == "EOF" {
				return docs
			}
			t.Fatalf("output does not parse as YAML: %v\n%s", err, stream)
		}
		if v != nil {
			docs = append(docs, v)
		}
	}
}
