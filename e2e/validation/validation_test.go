package validation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/controlplane"
	"github.com/plexicus/helm-airgap/internal/settings"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/rewrite"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"
)

func TestMain(m *testing.M) { os.Exit(controlplane.Main(m)) }

const (
	// pullSecret is added to the sample configs, so that every pod spec
	// (and every custom resource field the rules know) gains one.
	pullSecret = "corpus-pull-secret"
	// renderNamespace is the namespace the corpus was rendered for
	// (helm template --namespace demo).
	renderNamespace = "demo"
	fieldManager    = "helm-airgap-validation"
)

// render is one rendered stream and the config to rewrite it with.
type render struct {
	name, config, stream string
}

func corpusRenders(t *testing.T, root string) []render {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "testdata", "corpus", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []render
	for _, f := range files {
		if filepath.Base(f) == "airgap.yaml" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, render{strings.TrimSuffix(filepath.Base(f), ".yaml"), filepath.Join(root, "testdata", "corpus", "airgap.yaml"), string(data)})
	}
	if len(out) < 10 {
		t.Fatalf("found %d renders in testdata/corpus, want the whole corpus", len(out))
	}
	return out
}

// chartRender renders the bundled test chart with the pinned Helm 3.
func chartRender(t *testing.T, root string) render {
	t.Helper()
	cmd := exec.Command(testtool.Tool(t, testtool.Helm3), "template", "platform", filepath.Join(root, "testdata", "charts", "platform"), "--namespace", renderNamespace)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home, "HELM_CACHE_HOME="+home)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template of the test chart: %v\n%s", err, stderr.String())
	}
	return render{"chart-platform", filepath.Join(root, "testdata", "charts", "airgap.yaml"), string(out)}
}

// TestServerSideValidation rewrites each render and has the API server
// validate every document. A document the API server rejects fails the
// test when the render as written passes; when the chart's own document is
// rejected too (a kind whose CRD is in no render, say) it is logged.
func TestServerSideValidation(t *testing.T) {
	root := testtool.ModuleRoot(t)
	renders := append(corpusRenders(t, root), chartRender(t, root))
	v := newValidator(t, controlplane.Shared(t))
	original := map[string][]*unstructured.Unstructured{}
	rewritten := map[string][]*unstructured.Unstructured{}
	var crds []*unstructured.Unstructured
	for _, r := range renders {
		original[r.name] = decode(t, r.name, r.stream)
		rewritten[r.name] = decode(t, r.name, rewriteStream(t, r.config, r.stream))
		if len(rewritten[r.name]) != len(original[r.name]) {
			t.Fatalf("%s: the rewrite turned %d documents into %d", r.name, len(original[r.name]), len(rewritten[r.name]))
		}
		for _, obj := range rewritten[r.name] {
			if isCRD(obj) {
				crds = append(crds, obj)
			}
		}
	}
	// Every render's CRDs first: one chart's custom resources may need
	// another's CRDs (an operator and the cluster it runs).
	v.applyCRDs(t, crds)
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			validated, others := 0, 0
			for i, obj := range rewritten[r.name] {
				if isCRD(obj) {
					continue
				}
				others++
				err := v.dryRun(obj)
				if err == nil {
					validated++
					continue
				}
				if v.dryRun(original[r.name][i]) == nil {
					t.Errorf("%s: the API server rejects the rewritten document, not the render's own: %v", describe(obj), err)
				} else {
					t.Logf("%s: the API server rejects the render's own document too, so it says nothing of the rewrite: %v", describe(obj), err)
				}
			}
			if validated == 0 {
				t.Errorf("no document of %s was validated", r.name)
			}
			t.Logf("%d of %d documents besides CRDs validated on the API server", validated, others)
		})
	}
}

// TestStrictValidationRejects shows that the check above can fail: a field
// that a schema lacks, as a careless rewrite would add it, is an error on
// a built-in kind and on a custom resource alike.
func TestStrictValidationRejects(t *testing.T) {
	v := newValidator(t, controlplane.Shared(t))
	v.applyCRDs(t, decode(t, "crd", widgetCRD))
	for _, tc := range []struct{ name, doc, want string }{
		{"a pod spec field that does not exist", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      imagePullSecret: [{name: regcred}]
      containers: [{name: web, image: registry.internal.example.com/web:1}]
`, `.spec.template.spec.imagePullSecret: field not declared in schema`},
		{"pull secrets where a custom resource's schema has none", `apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
spec:
  image: registry.internal.example.com/widget:1
  imagePullSecrets: [{name: regcred}]
`, `.spec.imagePullSecrets: field not declared in schema`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.dryRun(decode(t, tc.name, tc.doc)[0])
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("dry run: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// widgetCRD is a custom resource whose schema has an image field and no
// pull secrets.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                image: {type: string}
`

// rewriteStream rewrites stream with the config at path plus the pull
// secret, as `helm-airgap rewrite --config path --pull-secret ...` does.
func rewriteStream(t *testing.T, path, stream string) string {
	t.Helper()
	policy, err := settings.Load(settings.Request{Flags: settings.Flags{ConfigFile: path, PullSecrets: []string{pullSecret}}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := rewrite.Run(strings.NewReader(stream), &out, policy.Start(io.Discard, io.Discard).StreamOptions()); err != nil {
		t.Fatalf("rewriting with %s: %v", path, err)
	}
	return out.String()
}

// decode splits a YAML stream into objects, skipping empty documents.
func decode(t *testing.T, name, stream string) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		err := dec.Decode(&obj)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: decoding document %d: %v", name, len(out)+1, err)
		}
		if len(obj) > 0 {
			out = append(out, &unstructured.Unstructured{Object: obj})
		}
	}
}

func isCRD(obj *unstructured.Unstructured) bool {
	return obj.GetKind() == "CustomResourceDefinition" && strings.HasPrefix(obj.GetAPIVersion(), "apiextensions.k8s.io/")
}

func describe(obj *unstructured.Unstructured) string {
	return fmt.Sprintf("%s %s (%s)", obj.GetKind(), obj.GetName(), obj.GetAPIVersion())
}

// validator talks to the shared API server. Its REST mapper learns the
// kinds of the CRDs the tests apply.
type validator struct {
	cp     *controlplane.ControlPlane
	mapper *restmapper.DeferredDiscoveryRESTMapper
	mu     sync.Mutex
	ns     map[string]bool // namespaces created
}

func newValidator(t *testing.T, cp *controlplane.ControlPlane) *validator {
	t.Helper()
	return &validator{
		cp:     cp,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(cp.Client.Discovery())),
		ns:     map[string]bool{},
	}
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// applyCRDs applies (for real: custom resources need them) every CRD in
// crds and waits until the API server serves each. Renders share CRDs;
// applying one again with the same content changes nothing.
func (v *validator) applyCRDs(t *testing.T, crds []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	var names []string
	for _, obj := range crds {
		err := v.apply(ctx, crdResource, "", obj, nil)
		if err != nil {
			t.Fatalf("applying %s: %v", describe(obj), err)
		}
		names = append(names, obj.GetName())
	}
	if len(names) == 0 {
		return
	}
	// A bound, not an assertion on speed: a CRD that is never
	// established fails the test instead of hanging it.
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, name := range names {
			crd, err := v.cp.Dynamic.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if !established(crd) {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("waiting for the CRDs to be established: %v", err)
	}
	v.mapper.Reset()
}

func established(crd *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conditions {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// dryRun has the API server validate obj strictly without storing it: a
// server-side apply, as `kubectl apply --server-side --dry-run=server`.
func (v *validator) dryRun(obj *unstructured.Unstructured) error {
	ctx := context.Background()
	mapping, err := v.mapping(ctx, obj)
	if err != nil {
		return err
	}
	namespace := ""
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		namespace = obj.GetNamespace()
		if namespace == "" {
			namespace = renderNamespace // helm template leaves it to the client
		}
		if err := v.ensureNamespace(ctx, namespace); err != nil {
			return err
		}
	}
	return v.apply(ctx, mapping.Resource, namespace, obj, []string{metav1.DryRunAll})
}

// mapping finds obj's resource, asking discovery again when the kind is
// new: the CRDs of parallel tests arrive at any time.
func (v *validator) mapping(ctx context.Context, obj *unstructured.Unstructured) (*meta.RESTMapping, error) {
	gvk := obj.GroupVersionKind()
	mapping, err := v.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		v.mapper.Reset()
		mapping, err = v.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("the API server serves no %s: %w", gvk, err)
	}
	return mapping, nil
}

// apply server-side applies obj, strictly: an unknown or duplicate field
// is an error, not a warning.
func (v *validator) apply(ctx context.Context, resource schema.GroupVersionResource, namespace string, obj *unstructured.Unstructured, dryRun []string) error {
	obj = obj.DeepCopy()
	if namespace != "" {
		obj.SetNamespace(namespace)
	}
	body, err := json.Marshal(obj.Object)
	if err != nil {
		return err
	}
	opts := metav1.PatchOptions{FieldManager: fieldManager, Force: ptr(true), DryRun: dryRun, FieldValidation: "Strict"}
	// Namespace("") is the cluster-scoped path.
	_, err = v.cp.Dynamic.Resource(resource).Namespace(namespace).Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
	return err
}

func (v *validator) ensureNamespace(ctx context.Context, name string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ns[name] {
		return nil
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	_, err := v.cp.Dynamic.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	v.ns[name] = true
	return nil
}

func ptr[T any](v T) *T { return &v }
