package rewrite

import (
	"errors"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	sigsyaml "sigs.k8s.io/yaml"
)

// The findings of issue 23: documents Kubernetes reads differently from a
// walk of yaml.v3 nodes. Each must end rewritten as Kubernetes reads it, or
// refused; never accepted with the public image in place.
func TestReadsYAMLAsKubernetes(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		// refused, when set, is part of the input error; otherwise want is
		// the image Kubernetes reads after the rewrite, at the pod path.
		refused string
		want    string // the source; Kubernetes must read its mapped reference
	}{
		{
			name:  "a merge after kind turns a CRD into a Pod",
			input: "kind: CustomResourceDefinition\n<<: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: quay.io/x/y:1}]}}\n",
			want:  "quay.io/x/y:1",
		},
		{
			name:  "a merge after the image overrides it",
			input: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: registry.internal.example.com/ok:1\n    <<: {image: busybox}\n",
			want:  "busybox",
		},
		{
			name:  "a merge list brings the containers",
			input: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &s {containers: [{name: c, image: nginx}]}\nspec: {<<: [*s, {containers: []}]}\n",
			want:  "nginx",
		},
		{
			name:    "a binary key spells kind",
			input:   "apiVersion: v1\n!!binary a2luZA==: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: quay.io/x/y:1}]}\n",
			refused: "!!binary key",
		},
		{
			name:    "a binary image",
			input:   "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: !!binary cXVheS5pby94L3k6MQ==}]}\n",
			refused: "must be a string",
		},
		{
			name:    "a tag that does not resolve",
			input:   "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {replicas: !!int abc, containers: [{name: c, image: nginx}]}\n",
			refused: "Kubernetes cannot read",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := engineOptions(t, testConfig)
			out, _, err := runOpts(t, opts, tc.input)
			if tc.refused != "" {
				inputError(t, err, tc.refused)
				return
			}
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			want := mapped(t, opts, tc.want)
			if got := kubernetesImages(t, out); len(got) != 1 || got[0].image != want {
				t.Fatalf("Kubernetes reads %+v in\n%s\nwant %s", got, out, want)
			}
		})
	}
}

// mapped is where the config sends a reference.
func mapped(t testing.TB, opts Options, ref string) string {
	t.Helper()
	m, err := opts.Mapper.Map(ref)
	if err != nil || m.Dest == ref {
		t.Fatalf("the test config does not map %q: %v", ref, err)
	}
	return m.Dest
}

// Values with tags other than !!str are strings to Kubernetes, and are
// searched as such: a tagged flag, a binary env value, embedded text.
func TestTaggedValuesAreSearched(t *testing.T) {
	opts := engineOptions(t, testConfig)
	for _, tc := range []struct{ name, input, want string }{
		{"a tagged flag", "kind: Pod\nspec:\n  containers:\n  - name: c\n    image: registry.internal.example.com/ok:1\n    args: [!foo \"--x-image=quay.io/a/b:1\"]\n",
			"--x-image=" + mapped(t, opts, "quay.io/a/b:1")},
		{"a tagged embedded file", "kind: ConfigMap\ndata:\n  cfg.yaml: !app \"image: quay.io/a/b:1\"\n", "image: " + mapped(t, opts, "quay.io/a/b:1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := rewriteOK(t, testConfig, tc.input)
			if !strings.Contains(out, tc.want) {
				t.Fatalf("want %q in\n%s", tc.want, out)
			}
		})
	}
	// A binary value: decoded, rewritten and encoded again, as Secret data.
	in := "kind: Pod\nspec:\n  containers:\n  - name: c\n    image: registry.internal.example.com/ok:1\n    env: [{name: SIDECAR_IMAGE, value: !!binary cXVheS5pby94L3k6MQ==}]\n"
	out, _ := rewriteOK(t, testConfig, in)
	var obj map[string]any
	if err := sigsyaml.Unmarshal([]byte(out), &obj); err != nil {
		t.Fatal(err)
	}
	env := obj["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["env"].([]any)[0].(map[string]any)
	if got := env["value"]; got != mapped(t, opts, "quay.io/x/y:1") {
		t.Fatalf("Kubernetes reads the binary value as %q, want the mirror", got)
	}
}

// podImage is one image Kubernetes reads in a pod spec.
type podImage struct{ field, image string }

// podSpecPaths are where the workload kinds keep their pod spec.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// kubernetesImages reads a single document as the API server does
// (sigs.k8s.io/yaml, then apimachinery's unstructured decoding) and lists
// its pod spec's container and image-volume images.
func kubernetesImages(t testing.TB, doc string) []podImage {
	t.Helper()
	j, err := sigsyaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("Kubernetes cannot read the output: %v\n%s", err, doc)
	}
	var u unstructured.Unstructured
	if err := u.UnmarshalJSON(j); err != nil {
		return nil
	}
	return podImagesOf(u.GetKind(), u.Object)
}

func podImagesOf(kind string, obj map[string]any) []podImage {
	path, ok := podSpecPaths[kind]
	if !ok {
		return nil
	}
	spec, found, err := unstructured.NestedMap(obj, path...)
	if err != nil || !found {
		return nil
	}
	prefix := strings.Join(path, ".")
	var out []podImage
	for _, list := range []string{"initContainers", "containers", "ephemeralContainers"} {
		items, _, _ := unstructured.NestedSlice(spec, list)
		for i, item := range items {
			if c, ok := item.(map[string]any); ok {
				if img, ok := c["image"].(string); ok {
					out = append(out, podImage{prefix + "." + list + "[" + strconv.Itoa(i) + "].image", img})
				}
			}
		}
	}
	volumes, _, _ := unstructured.NestedSlice(spec, "volumes")
	for i, v := range volumes {
		if vm, ok := v.(map[string]any); ok {
			if ref, ok, _ := unstructured.NestedString(vm, "image", "reference"); ok {
				out = append(out, podImage{prefix + ".volumes[" + strconv.Itoa(i) + "].image.reference", ref})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].field < out[j].field })
	return out
}

var podImageFieldPath = regexp.MustCompile(`^(spec|template\.spec|spec\.template\.spec|spec\.jobTemplate\.spec\.template\.spec)\.((init|ephemeral)?[cC]ontainers\[\d+\]\.image|volumes\[\d+\]\.image\.reference)$`)

// FuzzReadsAsKubernetes is the differential test of issue 23: for one
// document, what helm-airgap decides on equals what Kubernetes reads. When
// sigs.k8s.io/yaml cannot read the document, helm-airgap refuses it too;
// when helm-airgap accepts it, the kind it saw is the kind Kubernetes
// decodes, and the pod-spec images it found are exactly the ones
// Kubernetes reads (placeholders aside, which it leaves by design).
func FuzzReadsAsKubernetes(f *testing.F) {
	seedStreams(f)
	for _, s := range []string{
		"kind: CustomResourceDefinition\n<<: {apiVersion: v1, kind: Pod, spec: {containers: [{image: quay.io/x/y:1}]}}\n",
		"kind: Pod\nspec:\n  containers:\n  - image: registry.internal.example.com/ok:1\n    <<: {image: busybox}\n",
		"apiVersion: v1\n!!binary a2luZA==: Pod\nspec: {containers: [{image: quay.io/x/y:1}]}\n",
		"kind: Pod\nspec: {containers: [{image: nginx, args: [!foo \"--x-image=quay.io/a:1\"]}]}\n",
		"kind: Pod\nspec: {containers: [{image: nginx, env: [{name: I, value: !!binary cXVheS5pby94L3k6MQ==}]}]}\n",
		"kind: Deployment\nspec: {template: {spec: &s {containers: [{image: a/b:1}]}}}\nx: {<<: *s}\n",
		"kind: Pod\nspec: {<<: [{containers: [{image: nginx}]}, {containers: [{image: quay.io/a:1}]}]}\n",
		"kind: Pod\nspec: {containers: [{image: nginx}], <<: {containers: [{image: quay.io/a:1}]}}\n",
		"kind: !foo Pod\nspec: {containers: [{image: !bar nginx}]}\n",
		"kind: CronJob\nspec: {jobTemplate: {spec: {template: {spec: {containers: [{image: nginx}]}}}}}\n",
	} {
		f.Add(s)
	}
	opts := engineOptions(f, testConfig)
	opts.CheckOnly, opts.Workers = true, 1
	catalogue := opts.Catalogue
	f.Fuzz(func(t *testing.T, doc string) {
		if strings.Contains(doc, "\n---") || strings.HasPrefix(doc, "---") || strings.Contains(doc, "\n...") || strings.HasPrefix(doc, "...") {
			return // one document: where streams split is not this test's question
		}
		var kinds []string
		var found []podImage
		o := opts
		o.Observe(Observer{Image: func(oc Occurrence) {
			if podImageFieldPath.MatchString(oc.Field) && oc.Part == "" {
				found = append(found, podImage{oc.Field, oc.Mapping.Source.Written})
			}
		}})
		o.Passes = []Pass{func(d *Document, _ *Edit) error {
			kinds = append(kinds, yamlnode.Identify(d.Root).Kind)
			return nil
		}}
		report, err := Run(strings.NewReader(doc), io.Discard, o)
		var ie *InputError
		refused := errors.As(err, &ie)
		if !refused && report != nil && report.Objects == 0 {
			return // white space and comments: no reader makes an object of them
		}
		j, kerr := sigsyaml.YAMLToJSON([]byte(doc))
		if kerr != nil {
			if !refused {
				t.Fatalf("Kubernetes cannot read the document (%v); helm-airgap did not refuse it (err %v)", kerr, err)
			}
			return
		}
		if refused {
			return // helm-airgap may refuse more than Kubernetes does
		}
		var u unstructured.Unstructured
		if u.UnmarshalJSON(j) != nil || len(kinds) != 1 || kinds[0] == "List" || strings.HasSuffix(u.GetKind(), "List") {
			return
		}
		if kinds[0] != u.GetKind() {
			t.Fatalf("helm-airgap reads kind %q, Kubernetes %q", kinds[0], u.GetKind())
		}
		var want []podImage
		for _, p := range podImagesOf(u.GetKind(), u.Object) {
			if !catalogue.IsPlaceholder(p.image) {
				want = append(want, p)
			}
		}
		// The engine finds pod specs by shape in every kind (a custom
		// resource's too); compared are the ones of the kind's own pod spec.
		path, workload := podSpecPaths[u.GetKind()]
		if !workload {
			return
		}
		var own []podImage
		for _, p := range found {
			if strings.HasPrefix(p.field, strings.Join(path, ".")+".") {
				own = append(own, p)
			}
		}
		sort.Slice(own, func(i, j int) bool { return own[i].field < own[j].field })
		if !equalImages(own, want) {
			t.Fatalf("helm-airgap found %+v, Kubernetes reads %+v", own, want)
		}
	})
}

func equalImages(a, b []podImage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
