package controlplane

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Objects lists everything the API server stores in namespace, of every
// namespaced resource it serves, as the API server returns it (kind and
// apiVersion set), sorted by kind and name.
func (cp *ControlPlane) Objects(t testing.TB, namespace string) []map[string]any {
	t.Helper()
	lists, err := cp.Client.Discovery().ServerPreferredNamespacedResources()
	if err != nil {
		t.Fatalf("controlplane: discovering the served resources: %v", err)
	}
	var out []map[string]any
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list.APIResources {
			if !slices.Contains(r.Verbs, "list") || strings.Contains(r.Name, "/") {
				continue
			}
			items, err := cp.Dynamic.Resource(gv.WithResource(r.Name)).Namespace(namespace).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatalf("controlplane: listing %s in %s: %v", r.Name, namespace, err)
			}
			for _, item := range items.Items {
				out = append(out, item.Object)
			}
		}
	}
	slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(key(a), key(b)) })
	return out
}

func key(obj map[string]any) string {
	meta, _ := obj["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v", obj["kind"], meta["name"])
}

// Ran lists every Job and Pod created in namespace so far, in order, as
// the API server stored them when they were created, also those that Helm
// has deleted since (a hook is deleted before it runs again).
func (cp *ControlPlane) Ran(namespace string) []map[string]any {
	return cp.hooks.ran(namespace)
}
