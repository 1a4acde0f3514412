package plan

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rewrite"
	goyaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// TestFluxPostRendererMatchesRewrite applies the generated post-renderer
// with the kustomize API, the way Flux's helm-controller does (an in-memory
// kustomization of the rendered manifests with the HelmRelease's images and
// patches), and requires every object to come out exactly as rewrite writes
// it: images in containers, arguments, variables and custom-resource fields,
// and the pull secrets.
func TestFluxPostRendererMatchesRewrite(t *testing.T) {
	type input struct{ config, manifests string }
	cases := map[string]input{
		"args-env":         {"../testdata/args-env/config.yaml", "../testdata/args-env/input.yaml"},
		"custom-resources": {"../testdata/custom-resources/config.yaml", "../testdata/custom-resources/input.yaml"},
		"list":             {"../testdata/list/config.yaml", "../testdata/list/input.yaml"},
	}
	corpus, err := filepath.Glob("../testdata/corpus/*.yaml")
	if err != nil || len(corpus) == 0 {
		t.Fatalf("no corpus renders (%v)", err)
	}
	for _, file := range corpus {
		if filepath.Base(file) != "airgap.yaml" {
			cases["corpus/"+strings.TrimSuffix(filepath.Base(file), ".yaml")] = input{"../testdata/charts/airgap.yaml", file}
		}
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			config, err := os.ReadFile(in.config)
			if err != nil {
				t.Fatal(err)
			}
			manifests, err := os.ReadFile(in.manifests)
			if err != nil {
				t.Fatal(err)
			}
			opts := engineOptions(t, string(config))
			var rewritten bytes.Buffer
			report, err := rewrite.Run(bytes.NewReader(manifests), &rewritten, opts)
			if err != nil {
				t.Fatal(err)
			}
			if report.Rewritten == 0 {
				if strings.HasPrefix(name, "corpus/") {
					t.Skip("every image of this render is already internal")
				}
				t.Fatal("the input has no reference to rewrite: the test would prove nothing")
			}
			p, _, err := BuildFor(Flux, bytes.NewReader(manifests), opts, false)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := Write(&out, p, Flux); err != nil {
				t.Fatal(err)
			}
			got := postRender(t, manifests, out.Bytes())
			// rewrite's output goes through kustomize too, with nothing
			// to do, so that both sides carry its own re-encoding.
			want := kustomizeBuild(t, rewritten.Bytes(), map[string]any{})
			for id, w := range want {
				if g, ok := got[id]; !ok {
					t.Errorf("%s: missing after the post-renderer", id)
				} else if !reflect.DeepEqual(g, w) {
					gy, _ := yaml.Marshal(g)
					wy, _ := yaml.Marshal(w)
					t.Errorf("%s after the flux post-renderer:\n%s\nrewrite wrote:\n%s\npost-renderer:\n%s", id, gy, wy, out.String())
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d objects after the post-renderer, rewrite wrote %d", len(got), len(want))
			}
		})
	}
}

// postRender runs kustomize over the manifests with the post-renderer
// printed by Write, as helm-controller does.
func postRender(t *testing.T, manifests, printed []byte) map[string]any {
	t.Helper()
	var release struct {
		Spec struct {
			PostRenderers []struct {
				Kustomize map[string]any `yaml:"kustomize"`
			} `yaml:"postRenderers"`
		} `yaml:"spec"`
	}
	if err := goyaml.Unmarshal(printed, &release); err != nil {
		t.Fatalf("the flux output is not YAML: %v\n%s", err, printed)
	}
	if len(release.Spec.PostRenderers) != 1 {
		t.Fatalf("want one post-renderer, got:\n%s", printed)
	}
	return kustomizeBuild(t, manifests, release.Spec.PostRenderers[0].Kustomize)
}

// kustomizeBuild runs a kustomization over the manifests in memory.
func kustomizeBuild(t *testing.T, manifests []byte, kustomization map[string]any) map[string]any {
	t.Helper()
	kustomization["apiVersion"] = "kustomize.config.k8s.io/v1beta1"
	kustomization["kind"] = "Kustomization"
	kustomization["resources"] = []string{"resources.yaml"}
	text, err := goyaml.Marshal(kustomization)
	if err != nil {
		t.Fatal(err)
	}
	fs := filesys.MakeFsInMemory()
	if err := fs.WriteFile("resources.yaml", manifests); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("kustomization.yaml", text); err != nil {
		t.Fatal(err)
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, ".")
	if err != nil {
		t.Fatalf("kustomize build with the post-renderer: %v\n%s", err, text)
	}
	rendered, err := resources.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return objectsByID(t, rendered)
}

// objectsByID decodes a stream into its objects by identity, the items of
// a List each on their own (kustomize reads them so).
func objectsByID(t *testing.T, stream []byte) map[string]any {
	t.Helper()
	out := map[string]any{}
	dec := goyaml.NewDecoder(bytes.NewReader(stream))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			t.Fatal(err)
		}
		if doc == nil {
			continue
		}
		// Round-trip through JSON so both sides have the same types.
		data, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		dropNulls(obj)
		if obj["kind"] == "List" {
			items, _ := obj["items"].([]any)
			for _, item := range items {
				if m, ok := item.(map[string]any); ok {
					out[identity(m)] = m
				}
			}
			continue
		}
		out[identity(obj)] = obj
	}
}

func identity(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v %v/%v", obj["apiVersion"], obj["kind"], meta["namespace"], meta["name"])
}

// dropNulls removes null map values, which kustomize drops on reading
// ("annotations: null" in a chart), and empty lists, which its image
// transformer adds to some pod specs (initContainers: []), and empty
// annotations and labels, which it drops: an empty field either way, to
// Kubernetes.
func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			list, isList := e.([]any)
			m, isMap := e.(map[string]any)
			if e == nil || isList && len(list) == 0 || isMap && len(m) == 0 && (k == "annotations" || k == "labels") {
				delete(v, k)
			} else {
				dropNulls(e)
			}
		}
	case []any:
		for _, e := range v {
			dropNulls(e)
		}
	}
}

// FuzzFluxLookup: following an engine field path in any object never
// panics, and a path found is a JSON pointer with one token per step that
// leads back to the same node.
func FuzzFluxLookup(f *testing.F) {
	f.Add("spec:\n  containers:\n    - args: [a, b]\n", "spec.containers[0].args[1]")
	f.Add("metadata:\n  annotations:\n    a.b/c~d: x\n", "metadata.annotations.a.b/c~d")
	f.Add("items:\n  - spec: {image: x}\n", "items[0].spec.image")
	f.Add("a: &x {b: c}\nd: *x\n", "d.b")
	f.Add("a: [1]\n", "a[")
	f.Add("a: [1]\n", "a[-1]")
	f.Fuzz(func(t *testing.T, doc, field string) {
		objects, _, err := indexObjects([]byte(doc))
		if err != nil {
			return
		}
		for _, obj := range objects {
			pointer, n, err := obj.lookup(field)
			if err != nil {
				continue
			}
			if n == nil {
				t.Fatalf("lookup(%q) found no node and no error", field)
			}
			back := obj.node
			for _, token := range strings.Split(pointer, "/")[1:] {
				token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
				back = deref(back)
				if back.Kind == goyaml.SequenceNode {
					i := 0
					fmt.Sscan(token, &i)
					back = back.Content[i]
				} else {
					back = yamlnode.Lookup(back, token)
				}
			}
			if deref(back) != n {
				t.Fatalf("lookup(%q) = %q, which leads elsewhere", field, pointer)
			}
		}
	})
}

// TestFluxPostRendererShape pins what goes to images: and what to patches,
// and that hooks, which a Helm 3 helm-controller does not post-render, are
// named in the output.
func TestFluxPostRendererShape(t *testing.T) {
	const manifests = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          args: ["--helper-image=quay.io/org/helper:2"]
        - name: cache
          image: registry.internal.example.com/mirror/cache:1
      ephemeralContainers:
        - name: debug
          image: busybox:1.36
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  namespace: demo
  annotations: {helm.sh/hook: pre-install}
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: nginx:1.27
`
	opts := engineOptions(t, testConfig)
	p, _, err := BuildFor(Flux, strings.NewReader(manifests), opts, false)
	if err != nil {
		t.Fatal(err)
	}
	r := p.flux
	wantImages := []KustomizeImage{{Name: "nginx", NewName: "registry.internal.example.com/mirror/library/nginx"}}
	if !reflect.DeepEqual(r.Images, wantImages) {
		t.Errorf("images: %+v, want %+v", r.Images, wantImages)
	}
	if len(r.Patches) != 1 || r.Patches[0].Target != (PatchTarget{Group: "apps", Version: "v1", Kind: "Deployment", Name: "web", Namespace: "demo"}) {
		t.Fatalf("patches: %+v, want one for the Deployment", r.Patches)
	}
	for _, want := range []string{
		"path: /spec/template/spec/containers/0/args/0\n  value: --helper-image=registry.internal.example.com/mirror/org/helper:2\n",
		"path: /spec/template/spec/ephemeralContainers/0/image\n  value: registry.internal.example.com/mirror/library/busybox:1.36\n",
	} {
		if !strings.Contains(r.Patches[0].Patch, want) {
			t.Errorf("patch lacks\n%s\ngot:\n%s", want, r.Patches[0].Patch)
		}
	}
	if strings.Contains(r.Patches[0].Patch, "containers/0/image") || strings.Contains(r.Patches[0].Patch, "cache") {
		t.Errorf("the images: entry's and the internal image's fields are patched too:\n%s", r.Patches[0].Patch)
	}
	if !reflect.DeepEqual(r.Hooks, []string{"Job demo/migrate"}) {
		t.Errorf("hooks: %q", r.Hooks)
	}
	var out strings.Builder
	if err := Write(&out, p, Flux); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "does not post-render them") || !strings.Contains(out.String(), "#   Job demo/migrate\n") {
		t.Errorf("the output does not name the hook:\n%s", out.String())
	}
}

// TestFluxWithoutImagesList: when kustomize's image transformer would fail
// on an object of the stream (a string where it expects a pod template),
// there is no images: list and every image is patched.
func TestFluxWithoutImagesList(t *testing.T) {
	const manifests = `apiVersion: postgresql.cnpg.io/v1
kind: Database
metadata: {name: appdb, namespace: demo}
spec: {name: appdb, template: template1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  template:
    spec:
      containers:
        - {name: web, image: "nginx:1.27"}
`
	p, _, err := BuildFor(Flux, strings.NewReader(manifests), engineOptions(t, testConfig), false)
	if err != nil {
		t.Fatal(err)
	}
	r := p.flux
	if len(r.Images) != 0 || !strings.Contains(r.NoImages, "Database demo/appdb (spec.template is not an object)") {
		t.Errorf("images %+v, reason %q", r.Images, r.NoImages)
	}
	if len(r.Patches) != 1 || !strings.Contains(r.Patches[0].Patch, "path: /spec/template/spec/containers/0/image\n  value: registry.internal.example.com/mirror/library/nginx:1.27\n") {
		t.Errorf("patches: %+v", r.Patches)
	}
	var out strings.Builder
	if err := Write(&out, p, Flux); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "# No images: list: kustomize's image transformer fails on Database demo/appdb") {
		t.Errorf("the output does not say why:\n%s", out.String())
	}
}
