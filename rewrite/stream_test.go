package rewrite

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"strings"
	"testing"
	"testing/iotest"
)

// referenceSplit is the obvious line-by-line cut the splitter must match.
func referenceSplit(data []byte) [][]byte {
	var chunks [][]byte
	var cur []byte
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if isMarker(line) && len(cur) > 0 {
			chunks = append(chunks, cur)
			cur = nil
		}
		cur = append(cur, line...)
	}
	if len(cur) > 0 {
		chunks = append(chunks, cur)
	}
	return chunks
}

// choppyReader returns pieces of random size, so markers, "\n---" and the
// byte after a marker land on every possible read boundary.
type choppyReader struct {
	data []byte
	rnd  *rand.Rand
	most int
}

func (c *choppyReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.rnd.Intn(c.most))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestSplitterMatchesReferenceAcrossReads(t *testing.T) {
	corpus, err := os.ReadFile("../testdata/corpus/cert-manager-a-all.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string][]byte{
		"three corpus copies (crosses the buffer's shift and growth)": bytes.Repeat(corpus, 3),
		"markers everywhere": []byte("---\n---\na: 1\n----\n--- x\n---\t\n---\r\n---"),
		"no final newline":   []byte("a: 1\n---\nb: 2"),
		"preamble":           []byte("# head\n\n---\nkind: A\n"),
	}
	for name, data := range inputs {
		want := referenceSplit(data)
		readers := map[string]func() io.Reader{
			"whole":    func() io.Reader { return bytes.NewReader(data) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
			"choppy":   func() io.Reader { return &choppyReader{data: data, rnd: rand.New(rand.NewSource(1)), most: 70000} },
			"eof with data": func() io.Reader {
				return iotest.DataErrReader(bytes.NewReader(data))
			},
		}
		for rname, reader := range readers {
			if rname == "one byte" && len(data) > 1<<20 {
				continue // correct but slow; "choppy" covers the large input
			}
			t.Run(name+"/"+rname, func(t *testing.T) {
				s := newSplitter(reader(), 0)
				line := 1
				for i := 0; ; i++ {
					c, err := s.next()
					if errors.Is(err, io.EOF) {
						if i != len(want) {
							t.Fatalf("%d chunks, want %d", i, len(want))
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if i >= len(want) || !bytes.Equal(c.data, want[i]) {
						t.Fatalf("chunk %d = %q, want %q", i, truncate(string(c.data), 80), truncate(string(want[min(i, len(want)-1)]), 80))
					}
					if c.index != i || c.line != line {
						t.Fatalf("chunk %d: index %d line %d, want line %d", i, c.index, c.line, line)
					}
					line += strings.Count(string(c.data), "\n")
				}
			})
		}
	}
}
