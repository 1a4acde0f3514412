// Package argocd_test checks the Argo CD config management plugin shipped in
// this directory: its files parse into what Argo CD and kustomize expect, and
// its generate command, run exactly as argocd-cmp-server runs it (working
// directory = the chart, the environment Argo CD builds, real helm and
// helm-airgap binaries), rewrites the example umbrella chart or fails closed.
package argocd_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// --- The plugin config, as argocd-cmp-server reads it -----------------------

// pluginConfig mirrors Argo CD's cmpserver/plugin.PluginConfig; decoding is
// strict, so a misspelt key fails here rather than being ignored by Argo CD.
type pluginConfig struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec pluginSpec `yaml:"spec"`
}

type pluginSpec struct {
	Version  string        `yaml:"version"`
	Init     pluginCommand `yaml:"init"`
	Generate pluginCommand `yaml:"generate"`
	Discover struct {
		FileName string `yaml:"fileName"`
		Find     struct {
			pluginCommand `yaml:",inline"`
			Glob          string `yaml:"glob"`
		} `yaml:"find"`
	} `yaml:"discover"`
	AllowConcurrency bool `yaml:"allowConcurrency"`
	LockRepo         bool `yaml:"lockRepo"`
	PreserveFileMode bool `yaml:"preserveFileMode"`
	ProvideGitCreds  bool `yaml:"provideGitCreds"`
	Parameters       struct {
		Static  []staticParameter `yaml:"static"`
		Dynamic pluginCommand     `yaml:"dynamic"`
	} `yaml:"parameters"`
}

type pluginCommand struct {
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
}

type staticParameter struct {
	Name           string            `yaml:"name"`
	Title          string            `yaml:"title"`
	Tooltip        string            `yaml:"tooltip"`
	Required       bool              `yaml:"required"`
	ItemType       string            `yaml:"itemType"`
	CollectionType string            `yaml:"collectionType"`
	String         string            `yaml:"string"`
	Array          []string          `yaml:"array"`
	Map            map[string]string `yaml:"map"`
}

func decodeStrict(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
}

func loadPlugin(t *testing.T) pluginConfig {
	t.Helper()
	var p pluginConfig
	decodeStrict(t, "plugin.yaml", &p)
	return p
}

// TestPluginConfig applies Argo CD's own validation (ValidatePluginConfig)
// and checks the parameters are the ones helm-airgap reads.
func TestPluginConfig(t *testing.T) {
	p := loadPlugin(t)
	if p.APIVersion != "argoproj.io/v1alpha1" || p.Kind != "ConfigManagementPlugin" {
		t.Errorf("apiVersion/kind = %s/%s, want argoproj.io/v1alpha1/ConfigManagementPlugin", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name != "helm-airgap" {
		t.Errorf("metadata.name = %q, want helm-airgap", p.Metadata.Name)
	}
	if len(p.Spec.Generate.Command) == 0 {
		t.Error("spec.generate.command is empty")
	}
	if p.Spec.Discover.FileName != "./Chart.yaml" {
		t.Errorf("discover.fileName = %q, want ./Chart.yaml", p.Spec.Discover.FileName)
	}
	// No shell between Argo CD and helm-airgap: a user's parameter is never
	// quoted by a script.
	if got := append(p.Spec.Generate.Command, p.Spec.Generate.Args...); !reflect.DeepEqual(got, []string{"helm-airgap", "argocd", "generate"}) {
		t.Errorf("generate runs %q, want helm-airgap argocd generate", got)
	}
	// Every parameter helm-airgap reads is announced, and nothing else.
	want := map[string]string{
		"values-files": "array", "helm-args": "array", "airgap-config": "",
		"mirror": "", "rules": "map", "pull-secrets": "array", "allow": "array",
	}
	got := map[string]string{}
	for _, s := range p.Spec.Parameters.Static {
		got[s.Name] = s.CollectionType
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("static parameters = %v, want %v", got, want)
	}
}

// TestPluginDiscovery matches discover.fileName the way argocd-cmp-server
// does: filepath.Glob of the pattern joined to the application directory.
func TestPluginDiscovery(t *testing.T) {
	p := loadPlugin(t)
	root := testtool.ModuleRoot(t)
	for dir, want := range map[string]bool{
		filepath.Join(root, "testdata", "charts", "platform"): true,
		filepath.Join(root, "testdata", "charts"):             false,
		filepath.Join(root, "argocd"):                         false,
	} {
		matches, err := filepath.Glob(filepath.Join(dir, p.Spec.Discover.FileName))
		if err != nil {
			t.Fatal(err)
		}
		if got := len(matches) > 0; got != want {
			t.Errorf("discovery in %s = %v, want %v", dir, got, want)
		}
	}
}

// --- The sidecar -------------------------------------------------------------

type container struct {
	Name            string         `yaml:"name"`
	Image           string         `yaml:"image"`
	Command         []string       `yaml:"command"`
	Env             []envVar       `yaml:"env"`
	SecurityContext map[string]any `yaml:"securityContext"`
	VolumeMounts    []volumeMount  `yaml:"volumeMounts"`
}

type envVar struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
}

type volumeMount struct {
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
	Name      string `yaml:"name"`
}

type volume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	EmptyDir *struct{} `yaml:"emptyDir"`
}

type podPatch struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Template struct {
			Spec struct {
				Containers []container `yaml:"containers"`
				Volumes    []volume    `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// checkSidecar asserts what Argo CD requires of a plugin sidecar; var-files
// and plugins are volumes the Argo CD install already has.
func checkSidecar(t *testing.T, c container, volumes []volume, pluginSubPath string) {
	t.Helper()
	if !reflect.DeepEqual(c.Command, []string{"/var/run/argocd/argocd-cmp-server"}) {
		t.Errorf("command = %v, want the argocd-cmp-server entrypoint", c.Command)
	}
	if c.SecurityContext["runAsUser"] != 999 || c.SecurityContext["runAsNonRoot"] != true {
		t.Errorf("securityContext = %v, want runAsNonRoot and runAsUser 999", c.SecurityContext)
	}
	byPath := map[string]volumeMount{}
	for _, m := range c.VolumeMounts {
		byPath[m.MountPath] = m
	}
	if m := byPath["/var/run/argocd"]; m.Name != "var-files" {
		t.Errorf("/var/run/argocd is mounted from %q, want var-files", m.Name)
	}
	if m := byPath["/home/argocd/cmp-server/plugins"]; m.Name != "plugins" {
		t.Errorf("/home/argocd/cmp-server/plugins is mounted from %q, want plugins", m.Name)
	}
	if m := byPath["/home/argocd/cmp-server/config/plugin.yaml"]; m.SubPath != pluginSubPath {
		t.Errorf("plugin.yaml is mounted with subPath %q, want %q", m.SubPath, pluginSubPath)
	}
	declared := map[string]volume{}
	for _, v := range volumes {
		declared[v.Name] = v
	}
	tmp := byPath["/tmp"]
	if v, ok := declared[tmp.Name]; !ok || v.EmptyDir == nil || tmp.Name == "tmp" {
		t.Errorf("/tmp is mounted from %q, want an emptyDir of its own (not the repo-server's tmp)", tmp.Name)
	}
	for _, m := range c.VolumeMounts {
		if _, ok := declared[m.Name]; !ok && m.Name != "var-files" && m.Name != "plugins" {
			t.Errorf("volume %q mounted at %s is not declared", m.Name, m.MountPath)
		}
	}
	var config string
	for _, e := range c.Env {
		if e.Name == "HELM_AIRGAP_CONFIG" {
			config = e.Value
		}
	}
	inMount := false
	for p := range byPath {
		inMount = inMount || (config != "" && strings.HasPrefix(config, p+"/"))
	}
	if !inMount {
		t.Errorf("HELM_AIRGAP_CONFIG = %q is not inside a mounted volume", config)
	}
}

func TestSidecarPatch(t *testing.T) {
	var p podPatch
	decodeStrict(t, "repo-server-patch.yaml", &p)
	if p.Kind != "Deployment" || p.Metadata.Name != "argocd-repo-server" {
		t.Fatalf("the patch targets %s %s, want Deployment argocd-repo-server", p.Kind, p.Metadata.Name)
	}
	if len(p.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("the patch adds %d containers, want 1", len(p.Spec.Template.Spec.Containers))
	}
	checkSidecar(t, p.Spec.Template.Spec.Containers[0], p.Spec.Template.Spec.Volumes, "plugin.yaml")
}

// TestHelmValuesSnippet keeps values-argo-cd.yaml in step with plugin.yaml
// and the sidecar patch.
func TestHelmValuesSnippet(t *testing.T) {
	var values struct {
		Configs struct {
			CMP struct {
				Create  bool           `yaml:"create"`
				Plugins map[string]any `yaml:"plugins"`
			} `yaml:"cmp"`
		} `yaml:"configs"`
		RepoServer struct {
			ExtraContainers []container `yaml:"extraContainers"`
			Volumes         []volume    `yaml:"volumes"`
		} `yaml:"repoServer"`
		ExtraObjects []map[string]any `yaml:"extraObjects"`
	}
	decodeStrict(t, "values-argo-cd.yaml", &values)
	if !values.Configs.CMP.Create {
		t.Error("configs.cmp.create is not true: the chart would not write argocd-cmp-cm")
	}
	var plugin map[string]any
	decodeStrict(t, "plugin.yaml", &plugin)
	if got := values.Configs.CMP.Plugins["helm-airgap"]; !reflect.DeepEqual(got, plugin["spec"]) {
		t.Errorf("configs.cmp.plugins.helm-airgap differs from plugin.yaml's spec:\n got %v\nwant %v", got, plugin["spec"])
	}
	if len(values.RepoServer.ExtraContainers) != 1 {
		t.Fatalf("repoServer.extraContainers has %d entries, want 1", len(values.RepoServer.ExtraContainers))
	}
	sidecar := values.RepoServer.ExtraContainers[0]
	// The chart writes the plugin as <name>.yaml into argocd-cmp-cm.
	checkSidecar(t, sidecar, values.RepoServer.Volumes, "helm-airgap.yaml")
	var patch podPatch
	decodeStrict(t, "repo-server-patch.yaml", &patch)
	want := patch.Spec.Template.Spec.Containers[0]
	if sidecar.Image != want.Image || !reflect.DeepEqual(sidecar.Env, want.Env) || !reflect.DeepEqual(sidecar.SecurityContext, want.SecurityContext) {
		t.Errorf("the chart's sidecar differs from the patch's:\n got %+v\nwant %+v", sidecar, want)
	}
}

// TestKustomizeComponent builds the component with real kustomize on top of
// a repo-server shaped like Argo CD's install.yaml.
func TestKustomizeComponent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds kustomize")
	}
	kustomize := testtool.Tool(t, testtool.Kustomize)
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	component, err := filepath.Rel(dir, here) // kustomize refuses an absolute one
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), fmt.Sprintf(`namespace: argocd
resources:
  - repo-server.yaml
components:
  - %s
`, component))
	writeFile(t, filepath.Join(dir, "repo-server.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      initContainers:
        - name: copyutil
          image: quay.io/argoproj/argocd:v3.1.0
          command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
          volumeMounts:
            - mountPath: /var/run/argocd
              name: var-files
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v3.1.0
          volumeMounts:
            - mountPath: /tmp
              name: tmp
            - mountPath: /home/argocd/cmp-server/plugins
              name: plugins
      volumes:
        - name: var-files
          emptyDir: {}
        - name: plugins
          emptyDir: {}
        - name: tmp
          emptyDir: {}
`)
	out, stderr, code := runCommand(t, exec.Command(kustomize, "build", dir))
	if code != 0 {
		t.Fatalf("kustomize build: exit %d\n%s", code, stderr)
	}
	docs := decodeAll(t, out)
	var deploy podPatch
	configMaps := map[string]map[string]string{}
	for _, d := range docs {
		var head struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name      string `yaml:"name"`
				Namespace string `yaml:"namespace"`
			} `yaml:"metadata"`
			Data map[string]string `yaml:"data"`
		}
		remarshal(t, d, &head)
		if head.Metadata.Namespace != "argocd" {
			t.Errorf("%s %s is in namespace %q, want argocd", head.Kind, head.Metadata.Name, head.Metadata.Namespace)
		}
		switch head.Kind {
		case "Deployment":
			remarshal(t, d, &deploy)
		case "ConfigMap":
			configMaps[head.Metadata.Name] = head.Data
		}
	}
	spec := deploy.Spec.Template.Spec
	byName := map[string]container{}
	for _, c := range spec.Containers {
		byName[c.Name] = c
	}
	if _, ok := byName["argocd-repo-server"]; len(spec.Containers) != 2 || !ok {
		t.Fatalf("containers = %+v, want argocd-repo-server and the helm-airgap sidecar", spec.Containers)
	}
	checkSidecar(t, byName["helm-airgap"], spec.Volumes, "plugin.yaml")
	// The generated ConfigMaps carry a content hash in their name, and the
	// volumes must follow it.
	pluginYAML, err := os.ReadFile("plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, v := range spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		data, ok := configMaps[v.ConfigMap.Name]
		if !ok {
			t.Errorf("volume %s names ConfigMap %q, which the build does not contain", v.Name, v.ConfigMap.Name)
			continue
		}
		switch v.Name {
		case "helm-airgap-plugin":
			found++
			if data["plugin.yaml"] != string(pluginYAML) {
				t.Error("the plugin ConfigMap does not hold plugin.yaml as it is")
			}
		case "helm-airgap-config":
			found++
			if data["airgap.yaml"] == "" {
				t.Error("the config ConfigMap has no airgap.yaml")
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d of the 2 ConfigMap volumes", found)
	}
}

// --- The generate command, run as argocd-cmp-server runs it -----------------

// param is one spec.source.plugin.parameters entry.
type param struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

func str(s string) *string { return &s }

// paramEnviron is Argo CD's ApplicationSourcePluginParameters.Environ: the
// JSON in ARGOCD_APP_PARAMETERS, and PARAM_<NAME>, PARAM_<NAME>_<i>,
// PARAM_<NAME>_<KEY> with names upper-cased and [^A-Z0-9_] made "_".
func paramEnviron(t *testing.T, params []param) []string {
	data, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"ARGOCD_APP_PARAMETERS=" + string(data)}
	escape := func(s string) string {
		return regexp.MustCompile(`[^A-Z0-9_]`).ReplaceAllString(strings.ToUpper(s), "_")
	}
	for _, p := range params {
		base := "PARAM_" + escape(p.Name)
		if p.String != nil {
			env = append(env, base+"="+*p.String)
		}
		for k, v := range p.Map {
			env = append(env, base+"_"+escape(k)+"="+v)
		}
		for i, v := range p.Array {
			env = append(env, base+"_"+strconv.Itoa(i)+"="+v)
		}
	}
	return env
}

// app is one Application rendered by the plugin.
type app struct {
	sidecarEnv []string          // env of the sidecar container
	pluginEnv  map[string]string // spec.source.plugin.env
	params     []param           // spec.source.plugin.parameters
	files      map[string]string // extra files in the application directory
	symlinks   map[string]string // symlinks in the application directory: name -> target
	chart      map[string]string // a chart of these files instead of the example
	paramsOnly bool              // PARAM_* variables without ARGOCD_APP_PARAMETERS
}

// generate copies the example chart to a repository checkout as
// argocd-cmp-server would, and runs the plugin's generate command in it with
// the environment Argo CD builds: the sidecar's own, the build environment,
// KUBE_VERSION/KUBE_API_VERSIONS, ARGOCD_ENV_* and the parameters (empty
// values dropped, as argocd-cmp-server drops them).
func generate(t *testing.T, a app) (stdout, stderr string, code int) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds helm and runs the plugin end to end")
	}
	root := testtool.ModuleRoot(t)
	// Only helm-airgap and its Helm companion: the step needs no shell and
	// no helm binary.
	testtool.Command(t, "helm-airgap-helm")
	bin := t.TempDir()
	if err := os.Symlink(testtool.Command(t, "helm-airgap"), filepath.Join(bin, "helm-airgap")); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir() // the CMP server's temp dir holding the repository
	appDir := filepath.Join(work, "apps", "platform")
	if a.chart == nil {
		copyTree(t, filepath.Join(root, "testdata", "charts", "platform"), appDir)
	}
	for name, content := range a.chart {
		writeFile(t, filepath.Join(appDir, name), content)
	}
	for name, content := range a.files {
		writeFile(t, filepath.Join(appDir, name), content)
	}
	for name, target := range a.symlinks {
		if err := os.Symlink(target, filepath.Join(appDir, name)); err != nil {
			t.Fatal(err)
		}
	}

	p := loadPlugin(t)
	env := []string{
		"PATH=" + bin,
		"HOME=" + work,
		"HELM_CACHE_HOME=" + filepath.Join(work, ".helm", "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(work, ".helm", "config"),
		"HELM_DATA_HOME=" + filepath.Join(work, ".helm", "data"),
	}
	env = append(env, a.sidecarEnv...)
	build := []string{
		"ARGOCD_APP_NAME=platform",
		"ARGOCD_APP_NAMESPACE=platform-prod",
		"ARGOCD_APP_PROJECT_NAME=default",
		"ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567",
		"ARGOCD_APP_REVISION_SHORT=0123456",
		"ARGOCD_APP_REVISION_SHORT_8=01234567",
		"ARGOCD_APP_SOURCE_PATH=apps/platform",
		"ARGOCD_APP_SOURCE_REPO_URL=https://git.internal.example.com/platform/deploy.git",
		"ARGOCD_APP_SOURCE_TARGET_REVISION=main",
		"KUBE_VERSION=1.33",
		"KUBE_API_VERSIONS=admissionregistration.k8s.io/v1,apps/v1,batch/v1,networking.k8s.io/v1,policy/v1,rbac.authorization.k8s.io/v1,v1",
	}
	keys := make([]string, 0, len(a.pluginEnv))
	for k := range a.pluginEnv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		build = append(build, "ARGOCD_ENV_"+k+"="+a.pluginEnv[k])
	}
	build = append(build, paramEnviron(t, a.params)...)
	for _, kv := range build {
		if a.paramsOnly && strings.HasPrefix(kv, "ARGOCD_APP_PARAMETERS=") {
			continue
		}
		if !strings.HasSuffix(kv, "=") {
			env = append(env, kv)
		}
	}
	argv := append(append([]string(nil), p.Spec.Generate.Command...), p.Spec.Generate.Args...)
	// The command as the sidecar finds it: on its PATH, not the test's.
	path := argv[0]
	if !strings.Contains(path, "/") {
		path = filepath.Join(bin, path)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	cmd.Dir = appDir
	cmd.Env = env
	return runCommand(t, cmd)
}

func TestGenerateRewritesEveryImage(t *testing.T) {
	root := testtool.ModuleRoot(t)
	config := filepath.Join(root, "testdata", "charts", "airgap.yaml")
	stdout, stderr, code := generate(t, app{sidecarEnv: []string{"HELM_AIRGAP_CONFIG=" + config}})
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	// What plain helm renders, for comparison.
	helm := exec.Command(testtool.Tool(t, testtool.Helm3), "template", "platform", filepath.Join(root, "testdata", "charts", "platform"),
		"-n", "platform-prod", "--include-crds")
	helm.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	plain, helmErr, helmCode := runCommand(t, helm)
	if helmCode != 0 {
		t.Fatalf("helm template: exit %d\n%s", helmCode, helmErr)
	}
	before, after := decodeAll(t, plain), decodeAll(t, stdout)
	if len(after) != len(before) || len(after) == 0 {
		t.Fatalf("the plugin printed %d documents, helm renders %d", len(after), len(before))
	}
	var imagesBefore, imagesAfter []string
	for _, d := range before {
		imagesBefore = append(imagesBefore, images(d)...)
	}
	hook := false
	for _, d := range after {
		imagesAfter = append(imagesAfter, images(d)...)
		var obj struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name        string            `yaml:"name"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
		}
		remarshal(t, d, &obj)
		if obj.Metadata.Annotations["helm.sh/hook"] != "" {
			hook = true
			if got := images(d); !reflect.DeepEqual(got, []string{"registry.internal.example.com/plexicus/migrations:3.1.0"}) {
				t.Errorf("hook %s %s has images %v", obj.Kind, obj.Metadata.Name, got)
			}
		}
		for _, secrets := range pullSecrets(d) {
			if !reflect.DeepEqual(secrets, []string{"my-registry-secret"}) {
				t.Errorf("%s %s has imagePullSecrets %v, want [my-registry-secret]", obj.Kind, obj.Metadata.Name, secrets)
			}
		}
	}
	if !hook {
		t.Error("the output has no Helm hook: the pre-install migrations Job is missing")
	}
	if len(imagesAfter) != len(imagesBefore) || len(imagesAfter) < 12 {
		t.Fatalf("%d images after, %d before", len(imagesAfter), len(imagesBefore))
	}
	for i, img := range imagesAfter {
		if !strings.HasPrefix(img, "registry.internal.example.com/") {
			t.Errorf("image %q (was %q) is not on the mirror", img, imagesBefore[i])
		}
	}
	for _, want := range []string{
		"registry.internal.example.com/plexicus/standalone/mongo-seed-data:1.4.0",
		"registry.internal.example.com/bitnami/mongodb:8.0.13-debian-12-r0",
		"registry.internal.example.com/mirror/library/nginx:1.27.3-alpine",
	} {
		if !contains(imagesAfter, want) {
			t.Errorf("the output lacks image %s", want)
		}
	}
}

func TestGenerateWithParametersAndPluginEnv(t *testing.T) {
	root := testtool.ModuleRoot(t)
	sample, err := os.ReadFile(filepath.Join(root, "testdata", "charts", "airgap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The repository's own config without a mirror; the mirror comes from a
	// parameter, an extra pull secret from the plugin env.
	noMirror := regexp.MustCompile(`(?m)^mirror:.*$`).ReplaceAllString(string(sample), "")
	stdout, stderr, code := generate(t, app{
		// A sidecar default that the parameter must override.
		sidecarEnv: []string{"HELM_AIRGAP_CONFIG=/nonexistent/airgap.yaml"},
		files: map[string]string{
			"airgap.yaml":        noMirror,
			"values-airgap.yaml": "sidecar:\n  image: quay.io/nginx/nginx-unprivileged:1.27\n",
		},
		pluginEnv: map[string]string{"HELM_AIRGAP_PULL_SECRETS": "extra-secret"},
		params: []param{
			{Name: "values-files", Array: []string{"values-airgap.yaml"}},
			{Name: "helm-args", Array: []string{"--set", "cleanup.schedule=0 4 * * *"}},
			{Name: "airgap-config", String: str("airgap.yaml")},
			{Name: "mirror", String: str("registry.internal.example.com/catchall")},
		},
	})
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	var all []string
	cronSchedule := ""
	for _, d := range decodeAll(t, stdout) {
		all = append(all, images(d)...)
		for _, secrets := range pullSecrets(d) {
			if !reflect.DeepEqual(secrets, []string{"my-registry-secret", "extra-secret"}) {
				t.Errorf("imagePullSecrets %v, want [my-registry-secret extra-secret]", secrets)
			}
		}
		var obj struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Schedule string `yaml:"schedule"`
			} `yaml:"spec"`
		}
		remarshal(t, d, &obj)
		if obj.Kind == "CronJob" {
			cronSchedule = obj.Spec.Schedule
		}
	}
	if !contains(all, "registry.internal.example.com/catchall/nginx/nginx-unprivileged:1.27") {
		t.Errorf("the values file's sidecar image did not go to the mirror parameter: %v", all)
	}
	if cronSchedule != "0 4 * * *" {
		t.Errorf("CronJob schedule = %q: the helm-args parameter was not applied", cronSchedule)
	}
}

func TestGenerateFailsClosed(t *testing.T) {
	// No mirror and no rule for platform-standalone: the MongoDB init
	// container handed to the subchart stays public.
	stdout, stderr, code := generate(t, app{
		files: map[string]string{"airgap.yaml": `rules:
  - from: europe-west3-docker.pkg.dev/plexicus-registry/platform
    to: registry.internal.example.com/plexicus
  - from: docker.io
    to: registry.internal.example.com/hub
`},
		params: []param{{Name: "airgap-config", String: str("airgap.yaml")}},
	})
	if code != 1 {
		t.Errorf("exit %d, want 1 (policy failure)", code)
	}
	if stdout != "" {
		t.Errorf("stdout is not empty on failure:\n%s", stdout)
	}
	for _, want := range []string{
		"europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/mongo-seed-data:1.4.0",
		"StatefulSet platform-mongodb",
		"container mongo-seed-data",
		"hint:",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestGenerateFailsWhenHelmFails(t *testing.T) {
	// The Bitnami-style subchart refuses a retargeted registry, so Helm
	// fails before anything is printed; HELM_AIRGAP_ALLOW_EMPTY must not
	// turn that into an empty success, nor hide Helm's reason.
	root := testtool.ModuleRoot(t)
	for _, allowEmpty := range []string{"", "true"} {
		t.Run("allow-empty="+allowEmpty, func(t *testing.T) {
			stdout, stderr, code := generate(t, app{
				sidecarEnv: []string{"HELM_AIRGAP_CONFIG=" + filepath.Join(root, "testdata", "charts", "airgap.yaml")},
				pluginEnv:  map[string]string{"HELM_AIRGAP_ALLOW_EMPTY": allowEmpty},
				params:     []param{{Name: "helm-args", Array: []string{"--set", "global.imageRegistry=registry.internal.example.com"}}},
			})
			if code != 1 {
				t.Errorf("exit %d, want 1 (Helm failed)", code)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty on failure:\n%s", stdout)
			}
			if !strings.Contains(stderr, "allowInsecureImages") {
				t.Errorf("stderr does not carry helm's error:\n%s", stderr)
			}
		})
	}
}

// TestGenerateRefusesEmptyOutput: Argo CD with auto-prune deletes every
// resource of an application that renders nothing, so an empty render
// fails the step unless the application says it may be empty.
func TestGenerateRefusesEmptyOutput(t *testing.T) {
	root := testtool.ModuleRoot(t)
	empty := map[string]string{
		"Chart.yaml":                "apiVersion: v2\nname: empty\nversion: 0.1.0\n",
		"templates/deployment.yaml": "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- end }}\n",
	}
	for _, tc := range []struct {
		allowEmpty string
		code       int
	}{{"", 2}, {"true", 0}} {
		t.Run("allow-empty="+tc.allowEmpty, func(t *testing.T) {
			stdout, stderr, code := generate(t, app{
				sidecarEnv: []string{"HELM_AIRGAP_CONFIG=" + filepath.Join(root, "testdata", "charts", "airgap.yaml")},
				pluginEnv:  map[string]string{"HELM_AIRGAP_ALLOW_EMPTY": tc.allowEmpty},
				chart:      empty,
			})
			if code != tc.code || strings.TrimSpace(stdout) != "" {
				t.Errorf("exit %d with %d bytes on stdout, want exit %d and nothing\n%s", code, len(stdout), tc.code, stderr)
			}
			if tc.code != 0 && !strings.Contains(stderr, "no Kubernetes objects") {
				t.Errorf("stderr does not say why:\n%s", stderr)
			}
		})
	}
}

func TestGenerateRefusesUnsafeParameters(t *testing.T) {
	root := testtool.ModuleRoot(t)
	config := "HELM_AIRGAP_CONFIG=" + filepath.Join(root, "testdata", "charts", "airgap.yaml")
	helmArgs := func(args ...string) []param { return []param{{Name: "helm-args", Array: args}} }
	for _, tc := range []struct {
		name       string
		params     []param
		paramsOnly bool
		want       string
	}{
		{"values file outside the app", []param{{Name: "values-files", Array: []string{"../../../etc/passwd"}}}, false, `"../../../etc/passwd": it lies outside the application directory`},
		{"values file outside the app, PARAM_ variables", []param{{Name: "values-files", Array: []string{"../../../etc/passwd"}}}, true, `"../../../etc/passwd": it lies outside the application directory`},
		{"absolute values file", []param{{Name: "values-files", Array: []string{"/etc/passwd"}}}, false, `"/etc/passwd": an absolute path`},
		{"values file by URL", []param{{Name: "values-files", Array: []string{"http://127.0.0.1:15409/v.yaml"}}}, false, `"http://127.0.0.1:15409/v.yaml": a URL`},
		{"values file through a symlink out", []param{{Name: "values-files", Array: []string{"escape.yaml"}}}, false, `"escape.yaml": it lies outside the application directory`},
		{"missing values file", []param{{Name: "values-files", String: str("nope.yaml")}}, false, `"nope.yaml"`},
		{"config file outside the app", []param{{Name: "airgap-config", String: str("../../../etc/passwd")}}, false, "outside the application directory"},
		{"post-renderer", helmArgs("--post-renderer=/bin/sh"), false, `helm argument "--post-renderer=/bin/sh"`},
		{"output dir", helmArgs("--output-dir", "x"), false, `helm argument "--output-dir"`},
		{"values through helm-args", helmArgs("-f/etc/passwd"), false, `helm argument "-f/etc/passwd" is not allowed`},
		{"values through helm-args, long", helmArgs("--values=/etc/passwd"), false, `helm argument "--values=/etc/passwd" is not allowed`},
		{"set-file", helmArgs("--set-file", "a=/etc/passwd"), false, `helm argument "--set-file" is not allowed`},
		{"repository", helmArgs("--repo", "https://charts.example.com"), false, `helm argument "--repo" is not allowed`},
		{"kubeconfig", helmArgs("--kubeconfig=/etc/kubernetes/admin.conf"), false, `is not allowed`},
		{"dns at render time", helmArgs("--enable-dns"), false, `helm argument "--enable-dns" is not allowed`},
		{"helm-airgap's own flag", helmArgs("--allow", "docker.io"), false, `helm argument "--allow" is not allowed`},
		{"namespace", helmArgs("-n", "kube-system"), false, `helm argument "-n" is not allowed`},
		{"another chart", helmArgs("oci://example.com/charts/other"), false, `helm argument "oci://example.com/charts/other": only flags`},
		{"end of flags", helmArgs("--", "other"), false, `helm argument "--": only flags`},
		{"a flag in a value's place", helmArgs("--set"), false, `helm argument "--set" needs a value`},
		{"PARAM_ variables", helmArgs("--post-renderer", "/bin/sh"), true, `helm argument "--post-renderer"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := app{sidecarEnv: []string{config}, params: tc.params, paramsOnly: tc.paramsOnly}
			if tc.name == "values file through a symlink out" {
				a.symlinks = map[string]string{"escape.yaml": "/etc/passwd"}
			}
			stdout, stderr, code := generate(t, a)
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %d bytes, stderr %q; want exit 2, no output, a message with %q", code, len(stdout), stderr, tc.want)
			}
		})
	}
}

// --- helpers -----------------------------------------------------------------

func runCommand(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return out.String(), errOut.String(), code
}

func decodeAll(t *testing.T, stream string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(stream))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("the output does not parse: %v", err)
		}
		if len(n.Content) > 0 && n.Content[0].Kind == yaml.MappingNode {
			docs = append(docs, &n)
		}
	}
}

func remarshal(t *testing.T, n *yaml.Node, into any) {
	t.Helper()
	if err := n.Decode(into); err != nil {
		t.Fatal(err)
	}
}

// images lists every scalar under an "image" key, in document order.
func images(n *yaml.Node) []string {
	var out []string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "image" && n.Content[i+1].Kind == yaml.ScalarNode {
					out = append(out, n.Content[i+1].Value)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

// pullSecrets lists the imagePullSecrets names of every pod template.
func pullSecrets(n *yaml.Node) [][]string {
	var out [][]string
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "containers" {
					var names []string
					for j := 0; j+1 < len(n.Content); j += 2 {
						if n.Content[j].Value == "imagePullSecrets" {
							for _, item := range n.Content[j+1].Content {
								for k := 0; k+1 < len(item.Content); k += 2 {
									if item.Content[k].Value == "name" {
										names = append(names, item.Content[k+1].Value)
									}
								}
							}
						}
					}
					out = append(out, names)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return out
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
