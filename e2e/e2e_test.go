package e2e

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const (
	mirrorHost = "registry.internal.example.com/"
	pullSecret = "my-registry-secret"
	release    = "platform"
	// hookJob is the chart's pre-install hook.
	hookJob = "Job/platform-migrations"
)

// strictConfig is the sample config without its catch-all mirror: the
// chart's nginx sidecar (docker.io/library/nginx) matches no rule.
const strictConfig = `rules:
  - from: europe-west3-docker.pkg.dev/plexicus-registry/platform
    to: registry.internal.example.com/plexicus
  - from: europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone
    to: registry.internal.example.com/plexicus/standalone
  - from: docker.io/bitnamilegacy
    to: registry.internal.example.com/bitnami
pullSecrets: [my-registry-secret]
allow: [registry.internal.example.com]
`

// fixture is the bundled chart and config, copied so that tests can run
// Helm in a directory of their own with relative paths, as users do.
type fixture struct {
	dir    string // holds platform/, airgap.yaml and strict.yaml
	chart  string // "platform", relative to dir
	config string // "airgap.yaml", relative to dir
	strict string // "strict.yaml", relative to dir
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	root := testtool.ModuleRoot(t)
	dir := t.TempDir()
	if err := os.CopyFS(filepath.Join(dir, "platform"), os.DirFS(filepath.Join(root, "testdata", "charts", "platform"))); err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile(filepath.Join(root, "testdata", "charts", "airgap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "airgap.yaml"), string(config))
	write(t, filepath.Join(dir, "strict.yaml"), strictConfig)
	return fixture{dir: dir, chart: "platform", config: "airgap.yaml", strict: "strict.yaml"}
}

// newHelm returns Helm major with the checkout's plugins installed.
func newHelm(t *testing.T, major int) *helmtest.Helm {
	t.Helper()
	h := helmtest.New(t, major)
	h.InstallPlugins(helmtest.Checkout(t))
	return h
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// podImage is one container of one pod spec in a rendered release.
type podImage struct {
	resource, container, image string
	pullSecrets                []string
}

func (p podImage) String() string {
	return fmt.Sprintf("%s %s %s pullSecrets=%s", p.resource, p.container, p.image, strings.Join(p.pullSecrets, ","))
}

// decodeStream decodes every document of a YAML stream.
func decodeStream(t *testing.T, stream string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stream))
	var docs []map[string]any
	for {
		var doc map[string]any
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("decoding the rendered stream: %v\n%s", err, stream)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// podImages lists every container image of every pod spec in docs, sorted.
func podImages(docs []map[string]any) []podImage {
	var out []podImage
	for _, doc := range docs {
		meta, _ := doc["metadata"].(map[string]any)
		resource := fmt.Sprintf("%v/%v", doc["kind"], meta["name"])
		walkPodSpecs(doc, func(spec map[string]any) {
			var secrets []string
			for _, s := range list(spec["imagePullSecrets"]) {
				if m, ok := s.(map[string]any); ok {
					secrets = append(secrets, fmt.Sprint(m["name"]))
				}
			}
			for _, key := range []string{"initContainers", "containers"} {
				for _, c := range list(spec[key]) {
					if m, ok := c.(map[string]any); ok {
						out = append(out, podImage{resource, fmt.Sprint(m["name"]), fmt.Sprint(m["image"]), secrets})
					}
				}
			}
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func walkPodSpecs(v any, visit func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["containers"].([]any); ok {
			visit(v)
			return
		}
		for _, x := range v {
			walkPodSpecs(x, visit)
		}
	case []any:
		for _, x := range v {
			walkPodSpecs(x, visit)
		}
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// table is the golden form of a release's images.
func table(images []podImage) string {
	var b strings.Builder
	for _, i := range images {
		fmt.Fprintln(&b, i)
	}
	return b.String()
}

// assertMirrored fails unless every image is on the mirror and every pod
// spec carries the pull secret, and the table matches the golden file that
// every route through Helm shares.
func assertMirrored(t *testing.T, images []podImage) {
	t.Helper()
	if len(images) == 0 {
		t.Fatal("no pod images found in the output")
	}
	for _, i := range images {
		if !strings.HasPrefix(i.image, mirrorHost) {
			t.Errorf("%s: image %s is not on the mirror", i.resource, i.image)
		}
		if !contains(i.pullSecrets, pullSecret) {
			t.Errorf("%s: pull secrets %v lack %s", i.resource, i.pullSecrets, pullSecret)
		}
	}
	if !hasResource(images, hookJob) {
		t.Errorf("the pre-install hook %s is missing from the output", hookJob)
	}
	golden(t, "platform-images.golden", table(images))
}

func hasResource(images []podImage, resource string) bool {
	for _, i := range images {
		if i.resource == resource {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		write(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file (run go test ./e2e -update to create it): %v", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs from the output:\n--- want\n%s--- got\n%s", path, want, got)
	}
}

// releaseSections extracts the YAML of `helm install --dry-run` output: the
// documents under HOOKS: and MANIFEST:, up to NOTES:.
func releaseSections(t *testing.T, out string) string {
	t.Helper()
	start := strings.Index(out, "\nHOOKS:\n")
	if start < 0 {
		t.Fatalf("no HOOKS: section in the output:\n%s", out)
	}
	body := out[start+len("\nHOOKS:\n"):]
	if end := strings.Index(body, "\nNOTES:\n"); end >= 0 {
		body = body[:end]
	}
	return strings.Replace(body, "\nMANIFEST:\n", "\n---\n", 1)
}
