package kubetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// resource is one served resource type.
type resource struct {
	group, version, name, kind string
	namespaced                 bool
}

func (r resource) groupVersion() string {
	if r.group == "" {
		return r.version
	}
	return r.group + "/" + r.version
}

var resources = []resource{
	{"", "v1", "namespaces", "Namespace", false},
	{"", "v1", "secrets", "Secret", true},
	{"", "v1", "configmaps", "ConfigMap", true},
	{"", "v1", "services", "Service", true},
	{"", "v1", "serviceaccounts", "ServiceAccount", true},
	{"", "v1", "pods", "Pod", true},
	{"", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true},
	{"apps", "v1", "deployments", "Deployment", true},
	{"apps", "v1", "statefulsets", "StatefulSet", true},
	{"apps", "v1", "daemonsets", "DaemonSet", true},
	{"apps", "v1", "replicasets", "ReplicaSet", true},
	{"batch", "v1", "jobs", "Job", true},
	{"batch", "v1", "cronjobs", "CronJob", true},
}

// Object is one object as written to the server.
type Object struct {
	Verb      string // create, update, patch, apply
	Kind      string
	Namespace string
	Name      string
	Body      map[string]any
}

// Server is a fake API server.
type Server struct {
	URL     string
	mu      sync.Mutex
	objects map[string]map[string]any // path -> object
	written []Object
	version int
	done    chan struct{} // closed when the test ends: idle watches return
}

// Start runs a server for the test's lifetime.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{objects: map[string]map[string]any{}, done: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		close(s.done)
		srv.CloseClientConnections()
		srv.Close()
	})
	s.URL = srv.URL
	return s
}

// Kubeconfig writes a kubeconfig for the server into dir and returns its path.
func (s *Server) Kubeconfig(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "kubeconfig")
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: {server: %q}
users:
  - name: fake
    user: {token: fake}
contexts:
  - name: fake
    context: {cluster: fake, user: fake, namespace: default}
current-context: fake
`, s.URL)
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Written returns every object written so far, in order.
func (s *Server) Written() []Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Object(nil), s.written...)
}

// Get returns a stored object.
func (s *Server) Get(group, version, plural, namespace, name string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range resources {
		if r.group == group && r.version == version && r.name == plural {
			obj, ok := s.objects[objectPath(r, namespace, name)]
			return obj, ok
		}
	}
	return nil, false
}

func objectPath(r resource, namespace, name string) string {
	if !r.namespaced {
		namespace = ""
	}
	return r.groupVersion() + "/" + r.name + "/" + namespace + "/" + name
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	path := strings.Trim(req.URL.Path, "/")
	switch {
	case path == "version":
		writeJSON(w, 200, map[string]any{"major": "1", "minor": "31", "gitVersion": "v1.31.0", "platform": "linux/amd64"})
		return
	case path == "api":
		writeJSON(w, 200, map[string]any{"kind": "APIVersions", "versions": []string{"v1"}, "serverAddressByClientCIDRs": []any{}})
		return
	case path == "apis":
		writeJSON(w, 200, apiGroupList())
		return
	case path == "openapi/v3":
		writeJSON(w, 200, openAPIIndex())
		return
	case strings.HasPrefix(path, "openapi/v3/"):
		if doc, ok := openAPIDocument(strings.TrimPrefix(path, "openapi/v3/")); ok {
			writeJSON(w, 200, doc)
			return
		}
	case path == "api/v1" || (strings.Count(path, "/") == 2 && strings.HasPrefix(path, "apis/")):
		gv := strings.TrimPrefix(strings.TrimPrefix(path, "apis/"), "api/")
		if list, ok := resourceList(gv); ok {
			writeJSON(w, 200, list)
			return
		}
	}
	r, namespace, name, ok := route(path)
	if !ok {
		writeStatus(w, 404, "NotFound", "the server could not find the requested resource")
		return
	}
	s.handle(w, req, r, namespace, name)
}

// route parses /api/v1/[namespaces/NS/]RESOURCE[/NAME] and the /apis form.
func route(path string) (r resource, namespace, name string, ok bool) {
	parts := strings.Split(path, "/")
	var gv string
	switch {
	case len(parts) >= 3 && parts[0] == "api":
		gv, parts = parts[1], parts[2:]
	case len(parts) >= 4 && parts[0] == "apis":
		gv, parts = parts[1]+"/"+parts[2], parts[3:]
	default:
		return r, "", "", false
	}
	if len(parts) >= 3 && parts[0] == "namespaces" {
		namespace, parts = parts[1], parts[2:]
	}
	if len(parts) == 0 || len(parts) > 2 {
		return r, "", "", false
	}
	for _, candidate := range resources {
		if candidate.groupVersion() == gv && candidate.name == parts[0] {
			if len(parts) == 2 {
				name = parts[1]
			}
			return candidate, namespace, name, true
		}
	}
	// /api/v1/namespaces/NAME is the namespace object itself.
	if gv == "v1" && len(parts) == 1 && namespace != "" {
		return resources[0], "", namespace, true
	}
	return r, "", "", false
}

func (s *Server) handle(w http.ResponseWriter, req *http.Request, r resource, namespace, name string) {
	q := req.URL.Query()
	switch {
	case req.Method == http.MethodGet && name == "" && q.Get("watch") == "true":
		// Objects here never change by themselves, so a watch only streams
		// the initial events when asked (client-go's watch-list: every
		// object, then a bookmark marking their end) and then idles.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		if q.Get("sendInitialEvents") == "true" {
			list := s.list(r, namespace, q.Get("labelSelector"), q.Get("fieldSelector"))
			enc := json.NewEncoder(w)
			for _, item := range list["items"].([]any) {
				enc.Encode(map[string]any{"type": "ADDED", "object": item})
			}
			version := list["metadata"].(map[string]any)["resourceVersion"]
			enc.Encode(map[string]any{"type": "BOOKMARK", "object": map[string]any{
				"apiVersion": r.groupVersion(), "kind": r.kind,
				"metadata": map[string]any{"resourceVersion": version, "annotations": map[string]any{"k8s.io/initial-events-end": "true"}},
			}})
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		select {
		case <-req.Context().Done():
		case <-s.done:
		}
	case req.Method == http.MethodGet && name == "":
		writeJSON(w, 200, s.list(r, namespace, q.Get("labelSelector"), q.Get("fieldSelector")))
	case req.Method == http.MethodGet:
		s.mu.Lock()
		obj, ok := s.objects[objectPath(r, namespace, name)]
		s.mu.Unlock()
		if !ok {
			writeStatus(w, 404, "NotFound", fmt.Sprintf("%s %q not found", r.name, name))
			return
		}
		writeJSON(w, 200, obj)
	case req.Method == http.MethodPost:
		obj, err := readObject(req)
		if err != nil {
			writeStatus(w, 400, "BadRequest", err.Error())
			return
		}
		name, _ = lookup(obj, "metadata", "name").(string)
		s.write(w, r, namespace, name, obj, "create", true)
	case req.Method == http.MethodPut:
		obj, err := readObject(req)
		if err != nil {
			writeStatus(w, 400, "BadRequest", err.Error())
			return
		}
		s.write(w, r, namespace, name, obj, "update", false)
	case req.Method == http.MethodPatch:
		patch, err := readObject(req)
		if err != nil {
			writeStatus(w, 400, "BadRequest", err.Error())
			return
		}
		s.mu.Lock()
		current, exists := s.objects[objectPath(r, namespace, name)]
		s.mu.Unlock()
		if strings.HasPrefix(req.Header.Get("Content-Type"), "application/apply-patch") {
			s.write(w, r, namespace, name, patch, "apply", !exists)
			return
		}
		if !exists {
			writeStatus(w, 404, "NotFound", fmt.Sprintf("%s %q not found", r.name, name))
			return
		}
		s.write(w, r, namespace, name, mergePatch(deepCopy(current), patch).(map[string]any), "patch", false)
	case req.Method == http.MethodDelete:
		s.mu.Lock()
		key := objectPath(r, namespace, name)
		obj, ok := s.objects[key]
		delete(s.objects, key)
		s.mu.Unlock()
		if !ok {
			writeStatus(w, 404, "NotFound", fmt.Sprintf("%s %q not found", r.name, name))
			return
		}
		writeJSON(w, 200, obj)
	default:
		writeStatus(w, 405, "MethodNotAllowed", req.Method)
	}
}

func (s *Server) write(w http.ResponseWriter, r resource, namespace, name string, obj map[string]any, verb string, create bool) {
	if name == "" {
		writeStatus(w, 422, "Invalid", "metadata.name is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := objectPath(r, namespace, name)
	if _, exists := s.objects[key]; exists && verb == "create" {
		writeStatus(w, 409, "AlreadyExists", fmt.Sprintf("%s %q already exists", r.name, name))
		return
	}
	s.version++
	meta, _ := obj["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		obj["metadata"] = meta
	}
	meta["name"] = name
	if r.namespaced {
		meta["namespace"] = namespace
	}
	meta["resourceVersion"] = strconv.Itoa(s.version)
	if old, ok := s.objects[key]; ok {
		meta["uid"] = lookup(old, "metadata", "uid")
		meta["creationTimestamp"] = lookup(old, "metadata", "creationTimestamp")
	} else {
		meta["uid"] = fmt.Sprintf("00000000-0000-0000-0000-%012d", s.version)
		meta["creationTimestamp"] = time.Now().UTC().Format(time.RFC3339)
	}
	obj["apiVersion"], obj["kind"] = r.groupVersion(), r.kind
	if r.kind == "Job" {
		// Jobs finish at once, so Helm's hook Jobs complete.
		now := time.Now().UTC().Format(time.RFC3339)
		obj["status"] = map[string]any{"succeeded": 1, "startTime": now, "completionTime": now,
			"conditions": []any{map[string]any{"type": "Complete", "status": "True", "lastTransitionTime": now}}}
	}
	s.objects[key] = obj
	s.written = append(s.written, Object{Verb: verb, Kind: r.kind, Namespace: namespace, Name: name, Body: deepCopy(obj).(map[string]any)})
	status := 200
	if create {
		status = 201
	}
	writeJSON(w, status, obj)
}

func (s *Server) list(r resource, namespace, labelSelector, fieldSelector string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	prefix := r.groupVersion() + "/" + r.name + "/"
	for key := range s.objects {
		if strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	items := []any{}
	for _, key := range keys {
		obj := s.objects[key]
		if namespace != "" && r.namespaced && lookup(obj, "metadata", "namespace") != namespace {
			continue
		}
		if !matchLabels(obj, labelSelector) || !matchFields(obj, fieldSelector) {
			continue
		}
		items = append(items, obj)
	}
	return map[string]any{"apiVersion": r.groupVersion(), "kind": r.kind + "List",
		"metadata": map[string]any{"resourceVersion": strconv.Itoa(s.version)}, "items": items}
}

// matchLabels supports the equality selectors Helm uses (a=b,c=d, a!=b).
func matchLabels(obj map[string]any, selector string) bool {
	labels, _ := lookup(obj, "metadata", "labels").(map[string]any)
	for _, term := range strings.Split(selector, ",") {
		if term = strings.TrimSpace(term); term == "" {
			continue
		}
		if k, v, ok := strings.Cut(term, "!="); ok {
			if labels[k] == v {
				return false
			}
			continue
		}
		k, v, _ := strings.Cut(strings.Replace(term, "==", "=", 1), "=")
		if got, _ := labels[k].(string); got != v {
			return false
		}
	}
	return true
}

// matchFields supports metadata.name and metadata.namespace.
func matchFields(obj map[string]any, selector string) bool {
	for _, term := range strings.Split(selector, ",") {
		k, v, ok := strings.Cut(term, "=")
		if !ok {
			continue
		}
		k = strings.TrimSuffix(k, "=")
		v = strings.TrimPrefix(v, "=")
		switch k {
		case "metadata.name":
			if lookup(obj, "metadata", "name") != v {
				return false
			}
		case "metadata.namespace":
			if lookup(obj, "metadata", "namespace") != v {
				return false
			}
		}
	}
	return true
}

func apiGroupList() map[string]any {
	var groups []any
	seen := map[string]bool{}
	for _, r := range resources {
		if r.group == "" || seen[r.group] {
			continue
		}
		seen[r.group] = true
		gv := map[string]any{"groupVersion": r.groupVersion(), "version": r.version}
		groups = append(groups, map[string]any{"name": r.group, "versions": []any{gv}, "preferredVersion": gv})
	}
	return map[string]any{"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
}

// openAPIIndex is the OpenAPI v3 discovery document: one schema per group
// version.
func openAPIIndex() map[string]any {
	paths := map[string]any{}
	for _, r := range resources {
		prefix := "apis/" + r.groupVersion()
		if r.group == "" {
			prefix = "api/" + r.version
		}
		paths[prefix] = map[string]any{"serverRelativeURL": "/openapi/v3/" + prefix + "?hash=fake"}
	}
	return map[string]any{"paths": paths}
}

// openAPIDocument is a group version's OpenAPI v3 document, reduced to what
// kubectl's libraries read to decide that the server validates fields
// itself (a PATCH operation per kind taking fieldValidation), so that Helm
// sends objects without client-side schema validation.
func openAPIDocument(prefix string) (map[string]any, bool) {
	paths := map[string]any{}
	for _, r := range resources {
		p := "apis/" + r.groupVersion()
		if r.group == "" {
			p = "api/" + r.version
		}
		if p != prefix {
			continue
		}
		item := "/" + p + "/" + r.name + "/{name}"
		if r.namespaced {
			item = "/" + p + "/namespaces/{namespace}/" + r.name + "/{name}"
		}
		paths[item] = map[string]any{"patch": map[string]any{
			"x-kubernetes-group-version-kind": map[string]string{"group": r.group, "version": r.version, "kind": r.kind},
			"parameters":                      []any{map[string]any{"name": "fieldValidation", "in": "query", "schema": map[string]any{"type": "string"}}},
			"responses":                       map[string]any{"200": map[string]any{"description": "OK"}},
		}}
	}
	if len(paths) == 0 {
		return nil, false
	}
	return map[string]any{"openapi": "3.0.0", "info": map[string]any{"title": "Kubernetes", "version": "v1.31.0"}, "paths": paths}, true
}

func resourceList(gv string) (map[string]any, bool) {
	var list []any
	for _, r := range resources {
		if r.groupVersion() != gv {
			continue
		}
		list = append(list, map[string]any{"name": r.name, "singularName": strings.ToLower(r.kind), "namespaced": r.namespaced,
			"kind": r.kind, "verbs": []string{"create", "delete", "get", "list", "patch", "update", "watch"}})
	}
	if list == nil {
		return nil, false
	}
	return map[string]any{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}, true
}

func readObject(req *http.Request) (map[string]any, error) {
	data, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/vnd.kubernetes.protobuf") {
		// Typed clients (Helm's release storage) may send protobuf.
		decoded, _, err := scheme.Codecs.UniversalDeserializer().Decode(data, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("decoding the protobuf request body: %w", err)
		}
		return runtime.DefaultUnstructuredConverter.ToUnstructured(decoded)
	}
	var obj map[string]any
	// YAML is a superset of JSON; apply patches may be either.
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return nil, fmt.Errorf("decoding the request body: %w", err)
	}
	if obj == nil {
		return nil, fmt.Errorf("empty request body")
	}
	return obj, nil
}

// mergePatch applies a JSON merge patch (RFC 7386); strategic merge patches
// are applied the same way, which is close enough for what Helm sends to
// objects it created itself.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if strings.HasPrefix(k, "$") {
			continue // strategic merge directives
		}
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

func lookup(obj map[string]any, path ...string) any {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, code int, reason, message string) {
	writeJSON(w, code, map[string]any{"kind": "Status", "apiVersion": "v1", "status": "Failure",
		"message": message, "reason": reason, "code": code})
}
