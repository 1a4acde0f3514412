package argocd_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/plexicus/helm-airgap/internal/argocdtest"
	"github.com/plexicus/helm-airgap/internal/leakscan"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"go.yaml.in/yaml/v3"
)

// --- The Application and its repository ---------------------------------------

func str(s string) *string { return &s }

const (
	repoURL  = "https://git.internal.example.com/platform/deploy.git"
	appPath  = "apps/platform"
	release  = "shop"
	destNS   = "shop-prod"
	kubeVers = "1.33.2"
)

var apiVersions = []string{"apps/v1", "batch/v1", "v1", "example.com/v1"}

// application is the request for an Application named shop, deploying
// apps/platform of the repository to shop-prod with the given plugin source.
func application(p *argocdtest.Plugin) argocdtest.ManifestRequest {
	return argocdtest.ManifestRequest{
		AppName:        release,
		Namespace:      destNS,
		ProjectName:    "default",
		KubeVersion:    kubeVers,
		APIVersions:    apiVersions,
		AppLabelKey:    "app.kubernetes.io/instance",
		TrackingMethod: "annotation",
		Repo:           argocdtest.Repository{Repo: repoURL},
		ApplicationSource: argocdtest.ApplicationSource{
			RepoURL: repoURL, Path: appPath, TargetRevision: "main", Plugin: p,
		},
	}
}

// capabilitiesTemplate shows in the render what Helm was told about the
// destination cluster (KUBE_VERSION, KUBE_API_VERSIONS) and the release.
const capabilitiesTemplate = `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-capabilities
  namespace: {{ .Release.Namespace }}
data:
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
  exampleAPI: {{ .Capabilities.APIVersions.Has "example.com/v1" | quote }}
`

// checkout lays out the repository as the repo-server has it checked out:
// the example umbrella chart (public images, a pre-install hook) in
// apps/platform with capabilitiesTemplate added, and files and symlinks
// (paths relative to the repository root) on top. The repo-server streams
// the whole repository to the sidecar, so files outside the application
// directory are there too.
func checkout(t *testing.T, files, symlinks map[string]string) string {
	t.Helper()
	repo := t.TempDir()
	chart := os.DirFS(filepath.Join(testtool.ModuleRoot(t), "testdata", "charts", "platform"))
	if err := os.CopyFS(filepath.Join(repo, appPath), chart); err != nil {
		t.Fatal(err)
	}
	tree := map[string][]byte{appPath + "/templates/capabilities.yaml": []byte(capabilitiesTemplate)}
	for name, content := range files {
		tree[name] = []byte(content)
	}
	writeTree(t, repo, tree)
	for name, target := range symlinks {
		if err := os.Symlink(target, filepath.Join(repo, name)); err != nil {
			t.Fatal(err)
		}
	}
	return repo
}

// --- The sidecar --------------------------------------------------------------

// startSidecar starts argocd-cmp-server as the plugin's sidecar container
// runs it (argocd/repo-server-patch.yaml): plugin.yaml in
// <home>/cmp-server/config, the sample argocd/airgap.yaml as
// HELM_AIRGAP_CONFIG, and on PATH only the binaries the sidecar image holds
// (helm-airgap and its Helm companion) and the system's.
func startSidecar(t *testing.T) *argocdtest.Sidecar {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Argo CD's cmp-server and runs the plugin in it")
	}
	bin := t.TempDir()
	for _, name := range []string{"helm-airgap", "helm-airgap-helm"} {
		if err := os.Symlink(testtool.Command(t, name), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	home := t.TempDir() // /home/argocd in the image
	writeTree(t, home, map[string][]byte{
		"cmp-server/config/plugin.yaml": readFile(t, "argocd/plugin.yaml"),
		"helm-airgap/airgap.yaml":       readFile(t, "argocd/airgap.yaml"),
	})
	return argocdtest.StartSidecar(t, filepath.Join(home, "cmp-server", "config"), []string{
		"PATH=" + bin + ":/usr/bin:/bin",
		"HOME=" + home,
		"HELM_AIRGAP_CONFIG=" + filepath.Join(home, "helm-airgap", "airgap.yaml"),
	})
}

// --- The tests ---------------------------------------------------------------

// mirrored is every image of the example chart (hook and subchart included)
// as the sample argocd/airgap.yaml maps it, sorted; migrations is the
// pre-install hook's, so a hook left out fails too.
const mirrored = `registry.internal.example.com/bitnami/mongodb-exporter:0.47.0-debian-12-r1
registry.internal.example.com/bitnami/mongodb:8.0.13-debian-12-r0
registry.internal.example.com/mirror/library/nginx:1.27.3-alpine
registry.internal.example.com/plexicus/api:3.1.0
registry.internal.example.com/plexicus/auth:3.1.0
registry.internal.example.com/plexicus/gateway:3.1.0
registry.internal.example.com/plexicus/migrations:3.1.0
registry.internal.example.com/plexicus/notifications:3.1.0
registry.internal.example.com/plexicus/reports:3.1.0
registry.internal.example.com/plexicus/scheduler:3.1.0
registry.internal.example.com/plexicus/standalone/mongo-seed-data:1.4.0
registry.internal.example.com/plexicus/web:3.1.0
registry.internal.example.com/plexicus/worker:3.1.0
registry.internal.example.com/plexicus/worker:3.1.0`

// TestSidecarRewritesEveryImage: by name and by discovery, the Application
// gets every manifest of the chart, the pre-install hook included, with
// every image on the mirror and the sample config's pull secret in every
// pod template; the release name, namespace and destination versions
// reach Helm.
func TestSidecarRewritesEveryImage(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t, nil, nil)
	plain := helmTemplate(t, filepath.Join(repo, appPath))
	for _, tc := range []struct {
		name                  string
		plugin                *argocdtest.Plugin
		kubeVersion, wantKube string
	}{
		{"by name", &argocdtest.Plugin{Name: "helm-airgap"}, kubeVers, "v" + kubeVers},
		{"by discovery", &argocdtest.Plugin{}, kubeVers, "v" + kubeVers},
		// Managed clusters report a minor version like "29+"; the
		// repo-server normalises it before KUBE_VERSION reaches the plugin.
		{"a cluster version as EKS reports it", &argocdtest.Plugin{Name: "helm-airgap"}, "1.29+", "v1.29"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := application(tc.plugin)
			req.KubeVersion = tc.kubeVersion
			res := s.Generate(t, repo, req)
			if res.Code != 0 {
				t.Fatalf("generate: exit %d\n%s", res.Code, res.Stderr)
			}
			objects := documents(t, res.Stdout)
			if len(objects) != len(plain) {
				t.Errorf("the sidecar returned %d manifests, helm template renders %d", len(objects), len(plain))
			}
			var images []string
			for _, ref := range imageRefs(t, res.Stdout) {
				images = append(images, ref.Value)
				if ref.pod && fmt.Sprint(ref.pullSecrets) != "[my-registry-secret]" {
					t.Errorf("%s %s: imagePullSecrets %v, want [my-registry-secret]", ref.Resource(), ref.Path, ref.pullSecrets)
				}
				if ref.hook && ref.Value != "registry.internal.example.com/plexicus/migrations:3.1.0" {
					t.Errorf("hook %s %s: image %s, want the migrations image on the mirror", ref.Resource(), ref.Path, ref.Value)
				}
			}
			sort.Strings(images)
			if got := strings.Join(images, "\n"); got != mirrored {
				t.Errorf("images:\n%s\nwant:\n%s", got, mirrored)
			}
			// The release name and namespace, and the cluster's versions.
			capabilities := object(objects, "ConfigMap", release+"-capabilities")
			got := []string{
				yamlnode.ScalarAt(capabilities, "metadata", "namespace"),
				yamlnode.ScalarAt(capabilities, "data", "kubeVersion"),
				yamlnode.ScalarAt(capabilities, "data", "exampleAPI"),
			}
			if want := []string{destNS, tc.wantKube, "true"}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ConfigMap %s-capabilities: namespace, kubeVersion, exampleAPI = %q, want %q", release, got, want)
			}
		})
	}
}

// TestSidecarFailsOnUncoveredImage: with a config that neither maps nor
// mirrors the standalone registry, generation fails, names the image, and
// the repo-server gets no manifests; a catch-all mirror set in the
// Application's plugin env (ARGOCD_ENV_HELM_AIRGAP_MIRROR) covers it.
func TestSidecarFailsOnUncoveredImage(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t, map[string]string{appPath + "/airgap.yaml": `apiVersion: helm-airgap/v1
rules:
  - from: europe-west3-docker.pkg.dev/plexicus-registry/platform
    to: registry.internal.example.com/plexicus
  - from: docker.io
    to: registry.internal.example.com/hub
`}, nil)
	const uncovered = "europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone/mongo-seed-data:1.4.0"
	source := &argocdtest.Plugin{
		Name:       "helm-airgap",
		Parameters: []argocdtest.Parameter{{Name: "airgap-config", String: str("airgap.yaml")}},
	}
	res := s.Generate(t, repo, application(source))
	if res.Code == 0 || res.Stdout != "" {
		t.Errorf("exit %d with %d bytes of manifests; want a failure and none", res.Code, len(res.Stdout))
	}
	if !strings.Contains(res.Stderr, uncovered) {
		t.Errorf("the error does not name %s:\n%s", uncovered, res.Stderr)
	}

	source.Env = []argocdtest.EnvEntry{{Name: "HELM_AIRGAP_MIRROR", Value: "registry.internal.example.com/from-env"}}
	res = s.Generate(t, repo, application(source))
	if res.Code != 0 {
		t.Fatalf("with a mirror in the plugin env: exit %d\n%s", res.Code, res.Stderr)
	}
	var images []string
	for _, ref := range imageRefs(t, res.Stdout) {
		images = append(images, ref.Value)
		if ref.Public {
			t.Errorf("%s %s: public image %s", ref.Resource(), ref.Path, ref.Value)
		}
	}
	if want := "registry.internal.example.com/from-env/plexicus-registry/platform-standalone/mongo-seed-data:1.4.0"; !slices.Contains(images, want) {
		t.Errorf("no image %s among %v", want, images)
	}
}

// TestSidecarParameters: the parameters of an Application as Argo CD sends
// them (the repo-server turns them into ARGOCD_APP_PARAMETERS and
// PARAM_*): a values file and
// helm arguments (a value with spaces is one item) change the render; a
// rules map (its key has the dots and slashes that PARAM_ names lose), a
// mirror and pull secrets change the rewrite.
func TestSidecarParameters(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t, map[string]string{
		appPath + "/values-airgap.yaml": "sidecar:\n  image: ghcr.io/acme/sidecar:2.0\n",
	}, nil)
	res := s.Generate(t, repo, application(&argocdtest.Plugin{
		Name: "helm-airgap",
		Parameters: []argocdtest.Parameter{
			{Name: "values-files", Array: []string{"values-airgap.yaml"}},
			{Name: "helm-args", Array: []string{"--set", "cleanup.schedule=0 4 * * *"}},
			{Name: "rules", Map: map[string]string{
				"europe-west3-docker.pkg.dev/plexicus-registry/platform-standalone": "registry.internal.example.com/by-param",
			}},
			{Name: "mirror", String: str("registry.internal.example.com/catchall")},
			{Name: "pull-secrets", Array: []string{"param-secret"}},
		},
	}))
	if res.Code != 0 {
		t.Fatalf("generate: exit %d\n%s", res.Code, res.Stderr)
	}
	var all []string
	for _, ref := range imageRefs(t, res.Stdout) {
		all = append(all, ref.Value)
		for _, secret := range []string{"my-registry-secret", "param-secret"} {
			if ref.pod && !slices.Contains(ref.pullSecrets, secret) {
				t.Errorf("%s %s: imagePullSecrets %v lack %s", ref.Resource(), ref.Path, ref.pullSecrets, secret)
			}
		}
	}
	for _, want := range []string{
		"registry.internal.example.com/catchall/acme/sidecar:2.0",      // values-airgap.yaml's image, the mirror parameter
		"registry.internal.example.com/by-param/mongo-seed-data:1.4.0", // the rules parameter over the config's rule
		"registry.internal.example.com/plexicus/migrations:3.1.0",      // the hook, the config's rule
	} {
		if !slices.Contains(all, want) {
			t.Errorf("no image %s among %v", want, all)
		}
	}
	cleanup := object(documents(t, res.Stdout), "CronJob", release+"-cleanup")
	if schedule := yamlnode.ScalarAt(cleanup, "spec", "schedule"); schedule != "0 4 * * *" {
		t.Errorf("CronJob schedule %q: the helm-args parameter did not reach helm", schedule)
	}
}

// TestSidecarRefusesUnsafeParameters: the repo-server streams the whole
// repository, so a values file elsewhere in it is there to read; the
// values-files and airgap-config parameters must stay inside the
// application directory, by path or through a symlink, and helm-args may
// hold only value and rendering flags (nothing that reads a file or a URL,
// reaches the network, changes the policy or names another chart). Each
// fails the step with the offending value named and no manifests.
func TestSidecarRefusesUnsafeParameters(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t,
		map[string]string{"shared/values.yaml": "sidecar:\n  image: quay.io/nginx/nginx-unprivileged:1.27\n"},
		map[string]string{appPath + "/linked.yaml": "../../shared/values.yaml"})
	for _, tc := range []struct {
		name  string
		param argocdtest.Parameter
		value string // what the error must name
	}{
		{"values file elsewhere in the repository", argocdtest.Parameter{Name: "values-files", Array: []string{"../../shared/values.yaml"}}, "../../shared/values.yaml"},
		{"absolute values file", argocdtest.Parameter{Name: "values-files", Array: []string{"/etc/passwd"}}, "/etc/passwd"},
		{"values file through a symlink", argocdtest.Parameter{Name: "values-files", Array: []string{"linked.yaml"}}, "linked.yaml"},
		{"values file by URL", argocdtest.Parameter{Name: "values-files", Array: []string{"http://127.0.0.1:9/values.yaml"}}, "http://127.0.0.1:9/values.yaml"},
		{"config elsewhere in the repository", argocdtest.Parameter{Name: "airgap-config", String: str("../../shared/values.yaml")}, "../../shared/values.yaml"},
		{"values file through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"--values=../../shared/values.yaml"}}, "--values"},
		{"short values flag through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"-f../../shared/values.yaml"}}, "-f../../shared/values.yaml"},
		{"set-file through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"--set-file", "x=/etc/passwd"}}, "--set-file"},
		{"post-renderer through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"--post-renderer=/bin/sh"}}, "--post-renderer"},
		{"a chart repository through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"--repo", "https://charts.example.com"}}, "--repo"},
		{"DNS at render time through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"--enable-dns"}}, "--enable-dns"},
		{"a policy flag through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"--allow=docker.io"}}, "--allow=docker.io"},
		{"another namespace through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"-n", "kube-system"}}, `"-n"`},
		{"another chart through helm-args", argocdtest.Parameter{Name: "helm-args", Array: []string{"oci://charts.example.com/other"}}, "oci://charts.example.com/other"},
		{"a flag without its value", argocdtest.Parameter{Name: "helm-args", Array: []string{"--set"}}, `"--set" needs a value`},
		{"a helm flag as the release name", argocdtest.Parameter{Name: "release-name", String: str("--set-file=x=/etc/passwd")}, `release name "--set-file=x=/etc/passwd"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := s.Generate(t, repo, application(&argocdtest.Plugin{Name: "helm-airgap", Parameters: []argocdtest.Parameter{tc.param}}))
			if res.Code == 0 || res.Stdout != "" {
				t.Errorf("exit %d with %d bytes of manifests; want a failure and none", res.Code, len(res.Stdout))
			}
			if !strings.Contains(res.Stderr, tc.value) {
				t.Errorf("the error does not name %q:\n%s", tc.value, res.Stderr)
			}
		})
	}
}

// TestSidecarReleaseName: the release is named as Argo CD's own Helm
// source names it: an Application outside Argo CD's namespace reaches the
// plugin as "<namespace>_<name>" and renders as <name>; the release-name
// parameter (helm.releaseName's counterpart) renames it.
func TestSidecarReleaseName(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t, nil, nil)
	for _, tc := range []struct {
		name, appName string
		params        []argocdtest.Parameter
		release       string
	}{
		{"an Application in another namespace", "team-a_" + release, nil, release},
		{"the release-name parameter", release, []argocdtest.Parameter{{Name: "release-name", String: str("legacy")}}, "legacy"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := application(&argocdtest.Plugin{Name: "helm-airgap", Parameters: tc.params})
			req.AppName = tc.appName
			res := s.Generate(t, repo, req)
			if res.Code != 0 {
				t.Fatalf("generate: exit %d\n%s", res.Code, res.Stderr)
			}
			if object(documents(t, res.Stdout), "ConfigMap", tc.release+"-capabilities") == nil {
				t.Errorf("no ConfigMap %s-capabilities: the release is not named %q\n%s", tc.release, tc.release, res.Stdout)
			}
		})
	}
}

// TestSidecarFailsWhenHelmFails: the Bitnami-style subchart refuses a
// retargeted registry, so Helm fails before anything is rendered; the step
// fails with Helm's reason, and HELM_AIRGAP_ALLOW_EMPTY does not turn that
// into an empty success.
func TestSidecarFailsWhenHelmFails(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t, nil, nil)
	for _, allowEmpty := range []string{"false", "true"} {
		t.Run("allow-empty="+allowEmpty, func(t *testing.T) {
			res := s.Generate(t, repo, application(&argocdtest.Plugin{
				Name:       "helm-airgap",
				Env:        []argocdtest.EnvEntry{{Name: "HELM_AIRGAP_ALLOW_EMPTY", Value: allowEmpty}},
				Parameters: []argocdtest.Parameter{{Name: "helm-args", Array: []string{"--set", "global.imageRegistry=registry.internal.example.com"}}},
			}))
			if res.Code == 0 || res.Stdout != "" {
				t.Errorf("exit %d with %d bytes of manifests; want a failure and none", res.Code, len(res.Stdout))
			}
			if !strings.Contains(res.Stderr, "allowInsecureImages") {
				t.Errorf("the error does not carry Helm's:\n%s", res.Stderr)
			}
		})
	}
}

// TestSidecarRefusesEmptyRender: Argo CD with auto-prune deletes every
// resource of an application that renders nothing, so an empty render
// fails the step unless the Application says it may be empty.
func TestSidecarRefusesEmptyRender(t *testing.T) {
	t.Parallel()
	s := startSidecar(t)
	repo := checkout(t, map[string]string{
		"apps/empty/Chart.yaml":          "apiVersion: v2\nname: empty\nversion: 0.1.0\n",
		"apps/empty/templates/some.yaml": "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: some\n{{- end }}\n",
	}, nil)
	for _, allowEmpty := range []string{"", "true"} {
		t.Run("allow-empty="+allowEmpty, func(t *testing.T) {
			p := &argocdtest.Plugin{Name: "helm-airgap"}
			if allowEmpty != "" {
				p.Env = []argocdtest.EnvEntry{{Name: "HELM_AIRGAP_ALLOW_EMPTY", Value: allowEmpty}}
			}
			req := application(p)
			req.ApplicationSource.Path = "apps/empty"
			res := s.Generate(t, repo, req)
			if strings.TrimSpace(res.Stdout) != "" {
				t.Errorf("manifests from a chart that renders nothing:\n%s", res.Stdout)
			}
			switch {
			case allowEmpty == "" && (res.Code == 0 || !strings.Contains(res.Stderr, "no Kubernetes objects")):
				t.Errorf("exit %d; want the empty render refused with the reason\n%s", res.Code, res.Stderr)
			case allowEmpty != "" && res.Code != 0:
				t.Errorf("exit %d although the Application allows an empty render\n%s", res.Code, res.Stderr)
			}
		})
	}
}

// --- Reading the manifests -----------------------------------------------------

// helmTemplate is what plain Helm renders for the Application, to count
// the manifests against.
func helmTemplate(t *testing.T, chart string) []*yaml.Node {
	t.Helper()
	args := []string{"template", release, chart, "-n", destNS, "--include-crds", "--kube-version", kubeVers}
	for _, v := range apiVersions {
		args = append(args, "--api-versions", v)
	}
	cmd := exec.Command(testtool.Tool(t, testtool.Helm3), args...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + home, "HELM_CACHE_HOME=" + home, "HELM_CONFIG_HOME=" + home, "HELM_DATA_HOME=" + home}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %v: %v", args, err)
	}
	return documents(t, string(out))
}

// documents parses a stream of manifests (YAML, or one JSON document each
// as the sidecar returns them) into their objects.
func documents(t *testing.T, stream string) []*yaml.Node {
	t.Helper()
	docs, err := leakscan.Documents([]byte(stream))
	if err != nil {
		t.Fatalf("the manifests do not parse: %v\n%s", err, stream)
	}
	objects := make([]*yaml.Node, len(docs))
	for i, doc := range docs {
		objects[i] = doc.Content[0]
	}
	return objects
}

// imageRef is one image reference in the manifests, as the tests' image
// oracle (internal/leakscan) finds it, with what the test asserts beside
// it: the pull secrets of its pod template and whether its object is a hook.
type imageRef struct {
	leakscan.Finding
	hook        bool
	pod         bool // in a pod template, which has pullSecrets
	pullSecrets []string
}

// imageRefs lists every image reference of the manifests, anywhere; public
// ones are those outside registry.internal.example.com.
func imageRefs(t *testing.T, stream string) []imageRef {
	t.Helper()
	findings, err := leakscan.Find([]byte(stream), "registry.internal.example.com")
	if err != nil {
		t.Fatal(err)
	}
	objects := documents(t, stream)
	refs := make([]imageRef, len(findings))
	for i, f := range findings {
		obj := objects[f.Document-1]
		refs[i] = imageRef{Finding: f, hook: yamlnode.ScalarAt(obj, "metadata", "annotations", "helm.sh/hook") != ""}
		if spec := podSpecOf(obj, f.Path); spec != nil {
			refs[i].pod = true
			if secrets := yamlnode.Lookup(spec, "imagePullSecrets"); secrets != nil {
				for _, secret := range secrets.Content {
					refs[i].pullSecrets = append(refs[i].pullSecrets, yamlnode.ScalarAt(secret, "name"))
				}
			}
		}
	}
	return refs
}

// podSpecOf is the pod template spec a field path of obj lies in
// (spec.template.spec.containers[0].image: spec.template.spec), or nil.
func podSpecOf(obj *yaml.Node, path string) *yaml.Node {
	for _, list := range []string{".containers[", ".initContainers["} {
		if i := strings.Index(path, list); i > 0 {
			return yamlnode.Path(obj, strings.Split(path[:i], ".")...)
		}
	}
	return nil
}

// object is the object of a kind and name among the manifests, or nil.
func object(objects []*yaml.Node, kind, name string) *yaml.Node {
	for _, obj := range objects {
		if yamlnode.ScalarAt(obj, "kind") == kind && yamlnode.ScalarAt(obj, "metadata", "name") == name {
			return obj
		}
	}
	return nil
}

// readFile is a file of the checkout.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testtool.ModuleRoot(t), path))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// writeTree writes files (path: content) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	tree := fstest.MapFS{}
	for name, data := range files {
		tree[name] = &fstest.MapFile{Data: data}
	}
	if err := os.CopyFS(dir, tree); err != nil {
		t.Fatal(err)
	}
}
