// Package argocd_test checks the files of the Argo CD config management
// plugin shipped in this directory: they parse into what Argo CD and
// kustomize expect and agree with each other. The plugin itself runs in the
// real argocd-cmp-server in e2e/argocd (and from the sidecar image in
// internal/sidecar).
package argocd_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/leakscan"
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
		"release-name": "", "values-files": "array", "helm-args": "array", "airgap-config": "",
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
	docs, err := leakscan.Documents([]byte(out))
	if err != nil {
		t.Fatalf("kustomize build's output does not parse: %v", err)
	}
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

func remarshal(t *testing.T, n *yaml.Node, into any) {
	t.Helper()
	if err := n.Decode(into); err != nil {
		t.Fatal(err)
	}
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
