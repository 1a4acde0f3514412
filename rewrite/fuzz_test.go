package rewrite

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedStreams adds the golden inputs, the smaller corpus renders and a few
// awkward streams.
func seedStreams(f *testing.F) {
	for _, s := range []string{
		"", "\n", "---\n", "--- |\n  text\n", "...\n", "kind: A\n...\n---\nkind: B\n", "\t\n",
		"a: &a [*a]\n", billionLaughs,
		"kind: Pod\nspec:\n  containers:\n    - image: nginx\n",
		"kind: Pod\nspec: {containers: [{image: \"quay.io/x:1\"}], imagePullSecrets: []}\n",
		"kind: Pod\nspec:\n  imagePullSecrets: ~\n  containers:\n  - image: &i nginx\n    env: [{name: I, value: *i}]\n",
		"kind: List\nitems:\n- kind: Pod\n  spec:\n    containers: [{image: nginx, args: [--x-image=quay.io/a:1]}]\n",
		"kind: Pod\r\nspec:\r\n  containers:\r\n    - image: \"nginx\"\r\n",
		"{\"kind\":\"Pod\",\"spec\":{\"containers\":[{\"image\":\"nginx\"}]}}",
		"kind: Prometheus\napiVersion: monitoring.coreos.com/v1\nspec:\n  image: >-\n    quay.io/p:1\n",
	} {
		f.Add(s)
	}
	for _, s := range hiddenByLineBreaks {
		f.Add(s)
	}
	inputs, _ := filepath.Glob("../testdata/*/input.yaml")
	renders, _ := filepath.Glob("../testdata/corpus/*-a-all.yaml")
	for _, path := range append(inputs, renders...) {
		data, err := os.ReadFile(path)
		if err == nil && len(data) < 100<<10 {
			f.Add(string(data))
		}
	}
}

// FuzzRewrite runs the whole engine on arbitrary input with a fixed config.
// It must never panic; when the full parse accepts the input, the output
// parses with the same number of objects, the fast path agrees, and a second
// rewrite changes nothing.
func FuzzRewrite(f *testing.F) {
	seedStreams(f)
	opts := engineOptions(f, testConfig)
	opts.Workers, opts.SkipImageless = 2, true
	full := opts
	full.SkipImageless, full.Workers = false, 1
	f.Fuzz(func(t *testing.T, input string) {
		var fast, out bytes.Buffer
		_, fastErr := Run(strings.NewReader(input), &fast, opts)
		_, err := Run(strings.NewReader(input), &out, full)
		if err != nil {
			if out.Len() != 0 {
				t.Fatalf("Run failed (%v) and wrote %d bytes", err, out.Len())
			}
			var ie *InputError
			var pe *PolicyError
			if !errors.As(err, &ie) && !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is neither an input nor a policy error", err, err)
			}
			return
		}
		if fastErr != nil {
			t.Fatalf("the fast path fails (%v) where the full parse succeeds", fastErr)
		}
		if fast.String() != out.String() {
			t.Fatalf("the fast path and the full parse differ:\n%q\n%q", fast.String(), out.String())
		}
		if len(input) > 0 && out.Len() == 0 {
			t.Fatal("empty output for non-empty input")
		}
		if in, got := countObjects(t, input), countObjects(t, out.String()); in != got {
			t.Fatalf("input holds %d objects, output %d:\n%s", in, got, out.String())
		}
		var again bytes.Buffer
		if _, err := Run(bytes.NewReader(out.Bytes()), &again, full); err != nil {
			t.Fatalf("rewriting the output fails: %v\n%s", err, out.String())
		}
		if again.String() != out.String() {
			t.Fatalf("not idempotent:\n%q\n%q", out.String(), again.String())
		}
	})
}

// countObjects parses a stream the way Helm and kubectl read manifests, one
// document at a time, and counts the non-empty ones; it fails the test when
// a document does not parse.
func countObjects(t *testing.T, stream string) int {
	t.Helper()
	split := newSplitter(strings.NewReader(stream), 0)
	n := 0
	for {
		c, err := split.next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatalf("splitting: %v", err)
		}
		d, err := parse(c)
		if err != nil {
			t.Fatalf("document %d does not parse: %v\n%s", c.index+1, err, stream)
		}
		if d.root != nil {
			n++
		}
	}
}

// FuzzSplit checks the stream splitter: the chunks put together are the
// input exactly, each later chunk starts at a marker line, no chunk holds
// another marker, and lines and indices are counted right.
func FuzzSplit(f *testing.F) {
	seedStreams(f)
	f.Fuzz(func(t *testing.T, input string) {
		for _, max := range []int{0, 64} {
			split := newSplitter(strings.NewReader(input), max)
			var joined strings.Builder
			for i := 0; ; i++ {
				c, err := split.next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					if at, _ := foreignLineBreak([]byte(input)); at >= 0 || strings.HasPrefix(input, "\xff\xfe") || strings.HasPrefix(input, "\xfe\xff") {
						return // refused: see TestForeignLineBreaksAreInputErrors
					}
					if max == 0 || !strings.Contains(err.Error(), "limit") {
						t.Fatalf("max %d: %v", max, err)
					}
					return
				}
				if c.index != i {
					t.Fatalf("chunk %d has index %d", i, c.index)
				}
				if want := 1 + strings.Count(joined.String(), "\n"); c.line != want {
					t.Fatalf("chunk %d starts at line %d, want %d", i, c.line, want)
				}
				if i > 0 && !isMarker(c.data) {
					t.Fatalf("chunk %d does not start at a marker: %q", i, c.data)
				}
				lines := strings.SplitAfter(string(c.data), "\n")
				for _, line := range lines[1:] {
					if isMarker([]byte(line)) {
						t.Fatalf("chunk %d holds a second marker: %q", i, c.data)
					}
				}
				if max > 0 && len(c.data) > max {
					t.Fatalf("chunk %d is %d bytes, over the limit %d", i, len(c.data), max)
				}
				joined.Write(c.data)
			}
			if joined.String() != input {
				t.Fatalf("max %d: chunks joined are %q, want %q", max, joined.String(), input)
			}
		}
	})
}

// FuzzEmbeddedText runs text embedded in a ConfigMap (as a literal block and
// as a quoted string) through the engine: it must never panic, and whatever
// it rewrites must pass the check and stay put when rewritten again.
func FuzzEmbeddedText(f *testing.F) {
	for _, s := range []string{
		"image: nginx:1.25\n",
		"containers:\n- name: a\n  image: quay.io/x/y:1\n",
		`{"global": {"imageK8S": "hashicorp/consul-k8s-control-plane:2.0.3"}}`,
		"exec app \\\n  -consul-image=\"hashicorp/consul:2.0.3\" \\\n  -log-level=info\n",
		"3.8.0=quay.io/strimzi/kafka:0.43.0\n4.0.0=quay.io/strimzi/kafka:0.44.0\n",
		"trivy.repository: mirror.gcr.io/aquasec/trivy\ntrivy.tag: \"0.72.0\"\n",
		"node.collector.imageRef=ghcr.io/aquasecurity/node-collector:0.3.1\n",
		"image: auto\n",
		`{"image": "quay.io\/escaped:1"}`,
		"a: |\n  nested: quay.io/n/n:1\n",
	} {
		f.Add(s)
	}
	opts := engineOptions(f, testConfig)
	f.Fuzz(func(t *testing.T, text string) {
		if !utf8.ValidString(text) || strings.ContainsAny(text, "\x00\r\u0085\u2028\u2029\ufeff") {
			return
		}
		for _, doc := range []string{
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  text: |\n" + indentLines(text, "    "),
			"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  text: " + strconv.Quote(text) + "\n",
		} {
			var out bytes.Buffer
			_, err := Run(strings.NewReader(doc), &out, opts)
			if err != nil {
				continue
			}
			var again bytes.Buffer
			if _, err := Run(bytes.NewReader(out.Bytes()), &again, opts); err != nil {
				t.Fatalf("rewriting the output again failed: %v\ninput:\n%s\noutput:\n%s", err, doc, out.String())
			}
			if again.String() != out.String() {
				t.Fatalf("not idempotent:\ninput:\n%s\nfirst:\n%s\nsecond:\n%s", doc, out.String(), again.String())
			}
			check := opts
			check.CheckOnly = true
			if _, err := Run(bytes.NewReader(out.Bytes()), io.Discard, check); err != nil {
				t.Fatalf("check fails on the output: %v\ninput:\n%s\noutput:\n%s", err, doc, out.String())
			}
		}
	})
}

func indentLines(text, indent string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(text, "\n") {
		if line != "" {
			b.WriteString(indent + line)
		}
	}
	if !strings.HasSuffix(text, "\n") {
		b.WriteString("\n")
	}
	return b.String()
}
