package rewrite

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
)

// benchStream builds a stream of about size bytes from the real chart renders
// in testdata/corpus (or the shared corpus when testdata has none yet), or
// reads $HELM_AIRGAP_BENCH_STREAM (e.g. a stream from ../shared/bench/gen).
func benchStream(b *testing.B, size int) []byte {
	b.Helper()
	if path := os.Getenv("HELM_AIRGAP_BENCH_STREAM"); path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	files, _ := filepath.Glob("../testdata/corpus/*-a-all.yaml")
	if len(files) == 0 {
		files, _ = filepath.Glob("../../shared/corpus/*-a-all.yaml")
	}
	if len(files) == 0 {
		b.Skip("no corpus files")
	}
	var one []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		one = append(one, data...)
		if !bytes.HasSuffix(one, []byte("\n")) {
			one = append(one, '\n')
		}
	}
	var stream []byte
	for len(stream) < size {
		stream = append(stream, one...)
	}
	return stream
}

func benchMapper(b *testing.B) *mapper.Mapper {
	b.Helper()
	cfg := &config.Config{
		Mirror:      "registry.internal.example.com/mirror",
		Rules:       []mapper.Rule{{From: "docker.io/bitnami", To: "registry.internal.example.com/bitnami"}},
		PullSecrets: []string{"my-registry-secret"},
	}
	m, err := cfg.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkRun is the whole engine on a ~8 MB stream of real chart renders.
func BenchmarkRun(b *testing.B) {
	stream := benchStream(b, 8<<20)
	opts := Options{Mapper: benchMapper(b)}
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		report, err := Run(bytes.NewReader(stream), io.Discard, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(100*float64(report.Parsed)/float64(report.Documents), "%parsed")
	}
}

// BenchmarkRunSkipImageless is the same with the prefilter on: documents
// that provably hold no image are copied without being parsed.
func BenchmarkRunSkipImageless(b *testing.B) {
	stream := benchStream(b, 8<<20)
	opts := Options{Mapper: benchMapper(b), SkipImageless: true}
	b.SetBytes(int64(len(stream)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Run(bytes.NewReader(stream), io.Discard, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDocument is one typical workload document, parsed and rewritten.
func BenchmarkDocument(b *testing.B) {
	doc := []byte(`---
# Source: platform/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app.kubernetes.io/name: web
    spec:
      initContainers:
        - name: init
          image: docker.io/bitnami/os-shell:12-debian-12-r51
          command: ["/bin/sh", "-c", "true"]
      containers:
        - name: web
          image: "quay.io/example/web:1.2.3@sha256:0000000000000000000000000000000000000000000000000000000000000000"
          args:
            - --sidecar-image=ghcr.io/example/sidecar:v1
          env:
            - name: LOG_LEVEL
              value: info
          ports:
            - containerPort: 8080
`)
	p := &processor{opts: Options{Mapper: benchMapper(b)}, triggers: triggers(nil)}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if r := p.document(chunk{data: doc, line: 1}); r.err != nil {
			b.Fatal(r.err)
		}
	}
}

// BenchmarkRunFile streams $HELM_AIRGAP_BENCH_STREAM from disk, as the CLI
// does (input never held whole, output spooled to a temporary file).
func BenchmarkRunFile(b *testing.B) {
	path := os.Getenv("HELM_AIRGAP_BENCH_STREAM")
	if path == "" {
		b.Skip("set HELM_AIRGAP_BENCH_STREAM to a stream file")
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Mapper: benchMapper(b)}
	b.SetBytes(info.Size())
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Run(f, io.Discard, opts); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
