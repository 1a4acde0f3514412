package kubetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

func TestRoute(t *testing.T) {
	for _, tc := range []struct {
		path, resource, namespace, name string
		ok                              bool
	}{
		{"api/v1/namespaces/default/secrets", "secrets", "default", "", true},
		{"api/v1/namespaces/default/secrets/sh.helm.release.v1.app.v1", "secrets", "default", "sh.helm.release.v1.app.v1", true},
		{"apis/batch/v1/namespaces/ns/jobs/migrate", "jobs", "ns", "migrate", true},
		{"apis/apps/v1/deployments", "deployments", "", "", true},
		{"api/v1/namespaces/platform", "namespaces", "", "platform", true},
		{"api/v1/namespaces", "namespaces", "", "", true},
		{"apis/example.com/v1/widgets", "", "", "", false},
		{"apis/batch/v1/namespaces/ns/jobs/a/status", "", "", "", false},
		{"api", "", "", "", false},
		{"", "", "", "", false},
	} {
		r, ns, name, ok := route(tc.path)
		if ok != tc.ok || r.name != tc.resource || ns != tc.namespace || name != tc.name {
			t.Errorf("route(%q) = %s, %q, %q, %v", tc.path, r.name, ns, name, ok)
		}
	}
}

func FuzzRoute(f *testing.F) {
	f.Add("api/v1/namespaces/default/secrets/x")
	f.Add("apis/apps/v1/namespaces//deployments/")
	f.Fuzz(func(t *testing.T, path string) {
		if r, _, _, ok := route(path); ok && r.name == "" {
			t.Fatalf("route(%q) accepted no resource", path)
		}
	})
}

func TestMatchLabels(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"labels": map[string]any{"owner": "helm", "name": "app", "status": "deployed"}}}
	for selector, want := range map[string]bool{
		"":                            true,
		"owner=helm":                  true,
		"owner==helm,name=app":        true,
		"owner=helm,name=other":       false,
		"status!=superseded":          true,
		"status!=deployed":            false,
		"missing=x":                   false,
		"owner=helm, status=deployed": true,
	} {
		if got := matchLabels(obj, selector); got != want {
			t.Errorf("matchLabels(%q) = %v, want %v", selector, got, want)
		}
	}
}

func TestCreateGetListDelete(t *testing.T) {
	s := Start(t)
	do := func(method, path string, body any, want int) map[string]any {
		t.Helper()
		data, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(data))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, resp.StatusCode, want, out)
		}
		return out
	}
	job := map[string]any{"metadata": map[string]any{"name": "migrate", "labels": map[string]any{"app": "x"}}}
	do("POST", "/apis/batch/v1/namespaces/ns/jobs", job, 201)
	do("POST", "/apis/batch/v1/namespaces/ns/jobs", job, 409)
	got := do("GET", "/apis/batch/v1/namespaces/ns/jobs/migrate", nil, 200)
	if lookup(got, "status", "succeeded") != float64(1) {
		t.Errorf("a created Job is not complete: %v", got["status"])
	}
	if items := do("GET", "/apis/batch/v1/namespaces/ns/jobs?labelSelector=app%3Dx", nil, 200)["items"].([]any); len(items) != 1 {
		t.Errorf("list by label: %d items", len(items))
	}
	if items := do("GET", "/apis/batch/v1/namespaces/other/jobs", nil, 200)["items"].([]any); len(items) != 0 {
		t.Errorf("list in another namespace: %d items", len(items))
	}
	do("PATCH", "/apis/batch/v1/namespaces/ns/jobs/migrate", map[string]any{"metadata": map[string]any{"labels": map[string]any{"b": "c"}}}, 200)
	if labels := lookup(do("GET", "/apis/batch/v1/namespaces/ns/jobs/migrate", nil, 200), "metadata", "labels").(map[string]any); labels["app"] != "x" || labels["b"] != "c" {
		t.Errorf("merge patch: labels %v", labels)
	}
	do("DELETE", "/apis/batch/v1/namespaces/ns/jobs/migrate", nil, 200)
	do("GET", "/apis/batch/v1/namespaces/ns/jobs/migrate", nil, 404)
	if w := s.Written(); len(w) != 2 || w[0].Verb != "create" || w[1].Verb != "patch" || w[0].Kind != "Job" {
		t.Errorf("written: %+v", w)
	}
}
