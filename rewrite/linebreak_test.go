package rewrite

import (
	"bytes"
	"errors"
	"github.com/plexicus/helm-airgap/internal/k8syaml"
	"io"
	"strings"
	"testing"

	"bufio"
	"go.yaml.in/yaml/v3"
	k8syamlutil "k8s.io/apimachinery/pkg/util/yaml"
)

// hiddenByLineBreaks are the reproducers: YAML breaks lines at CR,
// NEL, LS and PS, so each hides a public image from a reader that cuts
// lines at LF only. The first two are the issue's own.
var hiddenByLineBreaks = map[string]string{
	"CR inside a block scalar":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: |\n    hello\rspec:\n  containers:\n  - name: x\n    image: quay.io/evil/x\n",
	"CR document marker":            "a: b\r---\rapiVersion: v1\rkind: Pod\rmetadata: {name: p}\rspec:\r  containers:\r  - name: x\r    image: quay.io/evil/x\r",
	"NEL document marker":           "a: b\u0085---\u0085apiVersion: v1\u0085kind: Pod\u0085metadata: {name: p}\u0085spec: {containers: [{name: x, image: quay.io/evil/x}]}\n",
	"LS ends a comment":             "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n# note\u2028spec: {containers: [{name: x, image: quay.io/evil/x}]}\n",
	"PS inside a block scalar":      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: |\n    hello\u2029spec: {containers: [{name: x, image: quay.io/evil/x}]}\n",
	"UTF-16 with a byte order mark": "\xff\xfek\x00i\x00n\x00d\x00:\x00 \x00P\x00o\x00d\x00\n\x00",
}

func TestForeignLineBreaksAreInputErrors(t *testing.T) {
	for name, input := range hiddenByLineBreaks {
		for _, skip := range []bool{false, true} {
			t.Run(name, func(t *testing.T) {
				opts := engineOptions(t, testConfig)
				opts.SkipImageless = skip
				_, _, err := runOpts(t, opts, input)
				if strings.HasPrefix(name, "UTF-16") {
					inputError(t, err, "document 1 (line 1)", "UTF-16")
					return
				}
				inputError(t, err, "document 1 (line 1)", "which YAML parsers read as a line break", "use LF or CRLF")
			})
		}
	}
}

func TestForeignLineBreakNamesItsLine(t *testing.T) {
	tests := []struct{ input, want string }{
		{"kind: A\n---\nkind: B\nx: 1\ry: 2\n", "document 2 (line 2): line 4 ends in a lone carriage return (CR)"},
		{"kind: A\r\n---\r\nkind: B\r\nx: 1\r", "document 2 (line 2): line 4 ends in a lone carriage return (CR)"},
		{"kind: A\nx: \u0085\n", "line 2 ends in a next line character (NEL, U+0085)"},
		{"kind: A\nx: y\u2028\n", "line 2 ends in a line separator (LS, U+2028)"},
		{"kind: A\n\nx: y\u2029\n", "line 3 ends in a paragraph separator (PS, U+2029)"},
	}
	for _, tt := range tests {
		_, _, err := runOpts(t, engineOptions(t, testConfig), tt.input)
		inputError(t, err, tt.want)
	}
}

func TestLineBreaksYAMLSharesStillPass(t *testing.T) {
	for name, input := range map[string]string{
		"CRLF":                         "kind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n  - name: x\r\n    image: nginx\r\n",
		"lookalike bytes":              "kind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"\u00c5 \u2014 \u2027 \u202a \u00a9\"}\n",
		"escaped separators in quotes": "kind: ConfigMap\nmetadata: {name: c}\ndata: {a: \"x\\u2028y\\ry\\Lz\"}\n",
	} {
		t.Run(name, func(t *testing.T) {
			rewriteOK(t, testConfig, input)
		})
	}
}

// FuzzLineBreaks is the differential test between the splitter and
// prefilter and a full YAML parse: the fuzzer's stream is tried with every
// kind of line break YAML knows (and mixes of them). Whenever helm-airgap
// accepts a version and the whole stream parses in one go, as other tools
// parse it, both must see the same documents, and the prefilter must not
// skip one whose keys name an image field.
func FuzzLineBreaks(f *testing.F) {
	seedStreams(f)
	for _, s := range hiddenByLineBreaks {
		f.Add(s)
	}
	p := &processor{triggers: triggers(nil)}
	breaks := []string{"\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029"}
	f.Fuzz(func(t *testing.T, input string) {
		variants := []string{input}
		for _, b := range breaks {
			variants = append(variants, strings.ReplaceAll(input, "\n", b))
		}
		var mixed strings.Builder // each LF replaced by the next kind in turn
		for i, line := range strings.Split(input, "\n") {
			if i > 0 {
				mixed.WriteString(breaks[i%len(breaks)])
			}
			mixed.WriteString(line)
		}
		variants = append(variants, mixed.String())
		for _, stream := range variants {
			compareWithFullParse(t, p, stream)
		}
	})
}

// compareWithFullParse splits a stream as the engine does and checks it
// against one yaml.v3 Decoder over the whole stream.
func compareWithFullParse(t *testing.T, p *processor, stream string) {
	split := newSplitter(strings.NewReader(stream), 1<<20)
	var ours []string
	var skipped []bool
	for {
		c, err := split.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if at, _ := foreignLineBreak([]byte(stream)); at < 0 && !bytes.HasPrefix([]byte(stream), []byte("\xff\xfe")) &&
				!bytes.HasPrefix([]byte(stream), []byte("\xfe\xff")) && !strings.Contains(err.Error(), "limit") && !strings.Contains(err.Error(), "UTF-16") {
				t.Fatalf("the splitter refuses a stream with LF and CRLF line ends only: %v\n%q", err, stream)
			}
			return // refused: no reader of the stream gets to disagree
		}
		if at, _ := foreignLineBreak(c.data); at >= 0 {
			t.Fatalf("chunk %d holds a line break other than LF or CRLF at %d: %q", c.index, at, c.data)
		}
		d, err := parse(c)
		if err != nil {
			return // an input error: the run fails, closed
		}
		if d.doc == nil || d.root == nil {
			continue
		}
		ours = append(ours, canonical(t, d.doc))
		skipped = append(skipped, !p.mayHoldImages(c.data))
	}
	var theirs []*yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(stream))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if !errors.Is(err, io.EOF) {
				return // other tools refuse the stream: nothing gets through them
			}
			break
		}
		if len(n.Content) == 0 || (n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null") {
			continue
		}
		if _, err := k8syaml.Normalize(&n, 10*len(stream)+10000); err != nil {
			return // refused as Kubernetes reads it: the run fails, closed
		}
		theirs = append(theirs, &n)
	}
	if len(theirs) != len(ours) {
		t.Fatalf("helm-airgap sees %d documents, a full parse %d:\n%q", len(ours), len(theirs), stream)
	}
	for i, n := range theirs {
		if got := canonical(t, n); got != ours[i] {
			t.Fatalf("document %d differs:\nhelm-airgap: %q\nfull parse:  %q\nstream: %q", i+1, ours[i], got, stream)
		}
		if skipped[i] && namesImageField(n, p.triggers) {
			t.Fatalf("the prefilter skips document %d, whose keys name an image field:\n%q", i+1, stream)
		}
	}
}

// canonical renders a document without comments, which the two parses may
// attach to different nodes around a document marker.
func canonical(t *testing.T, n *yaml.Node) string {
	var strip func(*yaml.Node)
	strip = func(n *yaml.Node) {
		n.HeadComment, n.LineComment, n.FootComment = "", "", ""
		for _, c := range n.Content {
			strip(c)
		}
	}
	strip(n)
	out, err := yaml.Marshal(n)
	if err != nil {
		return "unencodable: " + err.Error()
	}
	return string(out)
}

// namesImageField reports whether a mapping key anywhere in the document
// holds a trigger.
func namesImageField(n *yaml.Node, triggers [][]byte) bool {
	seen := map[*yaml.Node]bool{}
	var walk func(*yaml.Node) bool
	walk = func(n *yaml.Node) bool {
		if n == nil || seen[n] {
			return false
		}
		seen[n] = true
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				for _, t := range triggers {
					if bytes.Contains([]byte(n.Content[i].Value), t) {
						return true
					}
				}
			}
		}
		for _, c := range n.Content {
			if walk(c) {
				return true
			}
		}
		return walk(n.Alias)
	}
	return walk(n)
}

// BenchmarkLineBreakCheck measures what the line-break check adds to the
// splitter's goroutine, next to splitting alone.
func BenchmarkLineBreakCheck(b *testing.B) {
	data := benchStream(b, 64<<20)
	b.Run("check", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			if at, _ := foreignLineBreak(data); at >= 0 {
				b.Fatal("the corpus holds a foreign line break")
			}
		}
	})
	b.Run("split", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			split := newSplitter(bytes.NewReader(data), 0)
			for {
				if _, err := split.next(); err != nil {
					if !errors.Is(err, io.EOF) {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
}

// TestSeparatorsAsKubernetesReadsThem: a line that begins with "---" is a
// document separator to Kubernetes' YAML reader, which refuses one with
// content after it. The first row would otherwise hide a public Pod inside
// what YAML reads as a CustomResourceDefinition (never searched) and Helm's
// splitter as two documents. Each row is judged by apimachinery's reader
// too: helm-airgap accepts exactly what it accepts.
func TestSeparatorsAsKubernetesReadsThem(t *testing.T) {
	tests := []struct {
		name, input string
		ok          bool
	}{
		{"content after a separator", "kind: CustomResourceDefinition\n---kind: Pod\nspec: {containers: [{name: x, image: quay.io/evil/x:1}]}\n", false},
		{"a flow mapping on the separator line", "--- {kind: Pod, spec: {containers: [{name: x, image: quay.io/evil/x:1}]}}\n", false},
		{"four dashes", "kind: ConfigMap\nmetadata: {name: c}\n----\n", false},
		{"a scalar on the separator line", "kind: A\n--- text\n", false},
		{"a comment after a separator", "--- # Source: chart/templates/a.yaml\nkind: ConfigMap\nmetadata: {name: c}\n", true},
		{"white space after a separator", "kind: ConfigMap\nmetadata: {name: a}\n--- \t\nkind: ConfigMap\nmetadata: {name: b}\n", true},
		{"dashes inside a block scalar", "kind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: |\n    ---x\n    ----\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kubernetesReads(tt.input); got != tt.ok {
				t.Fatalf("apimachinery's reader accepts = %v, the row says %v", got, tt.ok)
			}
			_, _, err := runOpts(t, engineOptions(t, testConfig), tt.input)
			if tt.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			inputError(t, err, `begins with "---"`, "after a document separator")
		})
	}
}

// kubernetesReads reports whether apimachinery's YAML reader splits the
// stream without an error.
func kubernetesReads(s string) bool {
	r := k8syamlutil.NewYAMLReader(bufio.NewReader(strings.NewReader(s)))
	for {
		if _, err := r.Read(); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}
