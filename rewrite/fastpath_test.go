package rewrite

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
)

// With SkipImageless the prefilter skips parsing documents it can prove hold
// no image. Skipping must never change the output of a valid stream: these
// tests run the same streams with the prefilter on and off and with one
// worker and several, and require identical bytes and identical reports.

func TestFastPathMatchesParseAllOnCorpus(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/*.yaml")
	if len(files) == 0 {
		files, _ = filepath.Glob("../../shared/corpus/*.yaml")
	}
	if len(files) == 0 {
		t.Fatal("no corpus files in testdata/corpus or ../shared/corpus")
	}
	for _, f := range files {
		if filepath.Base(f) == "airgap.yaml" {
			continue // the corpus's sample config, not a render
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) { assertSameOutput(t, data) })
	}
}

// TestFastPathMatchesParseAllOnGeneratedStream uses the shared benchmark
// generator (../shared/bench/gen), whose streams carry the traps: pod
// manifests embedded in ConfigMap block scalars and in 68 KB JSON lines,
// CRD schemas, non-pod image keys, both sequence styles.
func TestFastPathMatchesParseAllOnGeneratedStream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the shared generator")
	}
	genDir := "../../shared/bench"
	if _, err := os.Stat(filepath.Join(genDir, "gen")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the shared bench generator is missing in CI: %v", err)
		}
		t.Skipf("no shared bench generator beside the checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "gen")
	build := exec.Command("go", "build", "-o", bin, "./gen")
	build.Dir = genDir
	// make's GOFLAGS kept (the packages it shares are compiled already),
	// and no cgo, also under make test-race.
	build.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the generator: %v\n%s", err, out)
	}
	for _, seed := range []string{"1", "7"} {
		stream, err := exec.Command(bin, "-n", "400", "-seed", seed).Output()
		if err != nil {
			t.Fatalf("generating a stream: %v", err)
		}
		t.Run("seed"+seed, func(t *testing.T) { assertSameOutput(t, stream) })
	}
}

func assertSameOutput(t *testing.T, input []byte) {
	t.Helper()
	cfg := &config.Config{Mirror: "registry.internal.example.com/mirror", PullSecrets: []string{"regcred"}}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	run := func(parseAll bool, workers int) ([]byte, *Report) {
		var out bytes.Buffer
		report, err := Run(bytes.NewReader(input), &out, Options{
			Mapper: m, SkipImageless: !parseAll, Workers: workers,
		})
		if err != nil {
			t.Fatalf("parseAll=%v workers=%d: %v", parseAll, workers, err)
		}
		return out.Bytes(), report
	}
	fast, fastReport := run(false, 4)
	full, fullReport := run(true, 1)
	if !bytes.Equal(fast, full) {
		t.Fatalf("fast path output differs from the full parse at byte %d", firstDiff(fast, full))
	}
	if fastReport.References != fullReport.References || fastReport.Rewritten != fullReport.Rewritten ||
		fastReport.PodSpecs != fullReport.PodSpecs || fastReport.Documents != fullReport.Documents {
		t.Fatalf("reports differ: fast %+v, full %+v", fastReport, fullReport)
	}
	if fastReport.Rewritten == 0 && fastReport.PodSpecs == 0 {
		t.Fatal("nothing was rewritten: the comparison proves nothing")
	}
	if fastReport.Parsed >= fullReport.Parsed && fullReport.Documents > 20 {
		t.Logf("the prefilter skipped nothing (%d of %d parsed)", fastReport.Parsed, fullReport.Documents)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
