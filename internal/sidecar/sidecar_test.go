package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/plexicus/helm-airgap/internal/registrytest"
	"github.com/plexicus/helm-airgap/internal/release"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// These tests build the image as make image does, for the host's
// architecture only (every binary and Helm, cross-compiled for two
// platforms, is too slow for a test), once per test process, and look at
// it as Argo CD and a registry do.

// built is the image built once, with its file system unpacked.
var built struct {
	once   sync.Once
	dir    string // holds both; removed by TestMain
	target string // the archive
	digest v1.Hash
	image  v1.Image               // the host platform's image
	rootfs string                 // its file system, unpacked
	hdrs   map[string]*tar.Header // its file system's entries, by path
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// builtImage builds the image and unpacks the host platform's file system.
func builtImage(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds every binary and Helm into the image")
	}
	if runtime.GOOS != "linux" {
		t.Skip("runs the image's Linux binaries")
	}
	root := testtool.ModuleRoot(t)
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "helm-airgap-sidecar-test-*"); built.err != nil {
			return
		}
		host := []release.Platform{{OS: "linux", Arch: runtime.GOARCH}}
		if built.target, built.digest, built.err = build(root, built.dir, host, defaultRepository, io.Discard); built.err != nil {
			return
		}
		if built.image, built.err = archivedImage(built.target, built.digest, filepath.Join(built.dir, "layout")); built.err != nil {
			return
		}
		built.rootfs = filepath.Join(built.dir, "rootfs")
		built.hdrs, built.err = unpack(built.image, built.rootfs)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
}

// archivedImage reads the archive as any OCI tool would (a tar of an image
// layout) and returns the host platform's image of the index it holds,
// which must be the one built.
func archivedImage(archive string, digest v1.Hash, dir string) (v1.Image, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if !filepath.IsLocal(hdr.Name) || hdr.Typeflag != tar.TypeReg {
			return nil, errors.New("unexpected archive entry " + hdr.Name)
		}
		if err := writeFrom(filepath.Join(dir, hdr.Name), tr, 0o644); err != nil {
			return nil, err
		}
	}
	lp, err := layout.FromPath(dir)
	if err != nil {
		return nil, err
	}
	root, err := lp.ImageIndex()
	if err != nil {
		return nil, err
	}
	im, err := root.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != digest {
		return nil, errors.New("the archive's index.json does not list the built index alone")
	}
	idx, err := root.ImageIndex(digest)
	if err != nil {
		return nil, err
	}
	platforms, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range platforms.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == runtime.GOARCH {
			return idx.Image(d.Digest)
		}
	}
	return nil, errors.New("the index has no image for linux/" + runtime.GOARCH)
}

// unpack writes the image's flattened file system into dir (modes kept,
// owners not: the test is not root) and returns its entries.
func unpack(img v1.Image, dir string) (map[string]*tar.Header, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	hdrs := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return hdrs, nil
		}
		if err != nil {
			return nil, err
		}
		name := path.Clean(hdr.Name)
		if !filepath.IsLocal(name) {
			return nil, errors.New("image entry outside the root: " + hdr.Name)
		}
		hdrs[name] = hdr
		target := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			err = writeFrom(target, tr, os.FileMode(hdr.Mode).Perm())
		default:
			err = errors.New("unexpected entry type in the image: " + hdr.Name)
		}
		if err != nil {
			return nil, err
		}
	}
}

func writeFrom(p string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// generateCommand is the plugin's generate step as argocd-cmp-server
// reads it.
type generateCommand struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Spec       struct {
		Generate struct {
			Command []string `yaml:"command"`
			Args    []string `yaml:"args"`
		} `yaml:"generate"`
	} `yaml:"spec"`
}

// imagePlugin reads the plugin config inside the image.
func imagePlugin(t *testing.T) generateCommand {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(built.rootfs, pluginPath))
	if err != nil {
		t.Fatal(err)
	}
	var p generateCommand
	if err := yaml.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// inImagePath resolves a command as the sidecar's PATH would.
func inImagePath(t *testing.T, command string) string {
	t.Helper()
	var dirs []string
	for _, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			dirs = strings.Split(p, ":")
		}
	}
	for _, d := range dirs {
		p := filepath.Join(built.rootfs, d, command)
		if path.IsAbs(command) {
			p = filepath.Join(built.rootfs, command)
		}
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatalf("%q is not an executable on the image's PATH %v", command, dirs)
	return ""
}

func TestImageIsWhatArgoCDExpects(t *testing.T) {
	builtImage(t)
	root := testtool.ModuleRoot(t)
	cf, err := built.image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	version, err := release.PluginVersion(filepath.Join(root, "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"/var/run/argocd/argocd-cmp-server"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q; Argo CD runs /var/run/argocd/argocd-cmp-server", c.Entrypoint, c.Cmd)
	}
	if c.User != "999" || c.WorkingDir != "/home/argocd" {
		t.Errorf("user %q in %q, want 999 in /home/argocd", c.User, c.WorkingDir)
	}
	for _, want := range []string{"HOME=/home/argocd", "HELM_CACHE_HOME=/tmp/helm/cache", "HELM_CONFIG_HOME=/tmp/helm/config", "HELM_DATA_HOME=/tmp/helm/data"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("env %q lacks %s", c.Env, want)
		}
	}
	if !slices.ContainsFunc(c.Env, func(kv string) bool { return strings.HasPrefix(kv, "PATH=/usr/local/bin:") }) {
		t.Errorf("env %q: PATH must start with /usr/local/bin", c.Env)
	}
	if c.Labels["org.opencontainers.image.version"] != version || c.Labels["org.opencontainers.image.source"] != sourceURL {
		t.Errorf("labels %v, want version %s and source %s", c.Labels, version, sourceURL)
	}

	// The argocd user owns its home; /tmp is everyone's.
	if !strings.Contains(readFile(t, "etc/passwd"), "\nargocd:x:999:999:argocd:/home/argocd:") {
		t.Errorf("/etc/passwd:\n%s", readFile(t, "etc/passwd"))
	}
	if h := built.hdrs["home/argocd"]; h == nil || h.Uid != 999 || h.Gid != 999 {
		t.Errorf("/home/argocd: %+v, want owned by 999:999", h)
	}
	if h := built.hdrs["tmp"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp: %+v, want mode 1777", h)
	}

	// The plugin config is the checkout's, and its generate step runs a
	// binary the image holds (there is no shell).
	want, err := os.ReadFile(filepath.Join(root, "argocd", "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, pluginPath[1:]); got != string(want) {
		t.Error("the image's plugin.yaml is not argocd/plugin.yaml")
	}
	p := imagePlugin(t)
	if p.APIVersion != "argoproj.io/v1alpha1" || p.Kind != "ConfigManagementPlugin" || len(p.Spec.Generate.Command) == 0 {
		t.Fatalf("plugin.yaml is not a ConfigManagementPlugin with a generate command: %+v", p)
	}
	if first := p.Spec.Generate.Command[0]; !isFile(filepath.Join(built.rootfs, binDir, first)) {
		t.Errorf("the generate command %q is not in the image's %s", first, binDir)
	}

	// Helm and every command, static: the image has no dynamic loader.
	commands, err := release.Commands(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append(commands, "helm") {
		p := filepath.Join(built.rootfs, binDir, name)
		f, err := elf.Open(p)
		if err != nil {
			t.Errorf("/usr/local/bin/%s: %v", name, err)
			continue
		}
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				t.Errorf("/usr/local/bin/%s is dynamically linked", name)
			}
		}
		f.Close()
	}
	out, err := exec.Command(filepath.Join(built.rootfs, binDir, "helm-airgap"), "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), version) {
		t.Errorf("helm-airgap version: %v\n%s", err, out)
	}
	// Helm says which version it is: go.mod's.
	helmVersion, err := release.HelmVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	helm := exec.Command(filepath.Join(built.rootfs, binDir, "helm"), "version", "--template", "{{.Version}}")
	helm.Env = []string{"HOME=" + t.TempDir()}
	if out, err := helm.CombinedOutput(); err != nil || string(out) != helmVersion {
		t.Errorf("helm version: %q, %v; want %s", out, err, helmVersion)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(built.rootfs, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func isFile(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// A small chart in an Application directory, as argocd-cmp-server checks
// it out.
var appFiles = map[string]string{
	"Chart.yaml":  "apiVersion: v2\nname: web\nversion: 1.0.0\n",
	"values.yaml": "image: nginx:1.27\n",
	"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
`,
}

// generateInImage runs the plugin's generate step from the image's own
// file system: its command resolved on the image's PATH, and nothing else
// on the PATH, in an Application directory, with the environment Argo CD
// builds.
func generateInImage(t *testing.T, sidecarEnv ...string) (stdout, stderr string, code int) {
	t.Helper()
	builtImage(t)
	work := t.TempDir()
	app := filepath.Join(work, "repo", "apps", "web")
	for name, content := range appFiles {
		if err := writeFrom(filepath.Join(app, name), strings.NewReader(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := imagePlugin(t).Spec.Generate
	if len(p.Command) == 0 {
		t.Fatal("plugin.yaml has no generate command")
	}
	cmd := exec.Command(inImagePath(t, p.Command[0]), append(p.Command[1:], p.Args...)...)
	cmd.Dir = app
	cmd.Env = append([]string{
		"PATH=" + filepath.Join(built.rootfs, binDir),
		"HOME=" + work,
		"HELM_CACHE_HOME=" + filepath.Join(work, "helm", "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(work, "helm", "config"),
		"HELM_DATA_HOME=" + filepath.Join(work, "helm", "data"),
		"ARGOCD_APP_NAME=web",
		"ARGOCD_APP_NAMESPACE=web-prod",
		"ARGOCD_APP_SOURCE_PATH=apps/web",
		"ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567",
		"KUBE_VERSION=1.33",
		"KUBE_API_VERSIONS=apps/v1,v1",
	}, sidecarEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	return out.String(), errOut.String(), code
}

func TestGenerateRunsFromTheImage(t *testing.T) {
	config := filepath.Join(t.TempDir(), "airgap.yaml")
	if err := os.WriteFile(config, []byte("mirror: registry.internal.example.com/mirror\npullSecrets: [my-registry-secret]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := generateInImage(t, "HELM_AIRGAP_CONFIG="+config)
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	var d struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
		Spec struct {
			Template struct {
				Spec struct {
					ImagePullSecrets []struct {
						Name string `yaml:"name"`
					} `yaml:"imagePullSecrets"`
					Containers []struct {
						Image string `yaml:"image"`
					} `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	pod := d.Spec.Template.Spec
	if d.Kind != "Deployment" || d.Metadata.Name != "web-web" || len(pod.Containers) != 1 ||
		pod.Containers[0].Image != "registry.internal.example.com/mirror/library/nginx:1.27" ||
		len(pod.ImagePullSecrets) != 1 || pod.ImagePullSecrets[0].Name != "my-registry-secret" {
		t.Errorf("generate printed:\n%s", stdout)
	}
}

func TestGenerateFromTheImageFailsClosed(t *testing.T) {
	// No config, no mirror: nginx would be pulled from Docker Hub.
	stdout, stderr, code := generateInImage(t, "HELM_AIRGAP_CONFIG=")
	if code == 0 || stdout != "" || !strings.Contains(stderr, "nginx:1.27") {
		t.Errorf("generate without a mirror: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

func TestMirrorPushesTheArchive(t *testing.T) {
	builtImage(t)
	reg := registrytest.New(t)
	dir := t.TempDir()
	// The image's own helm-airgap, which execs the registry companion
	// beside it.
	mirror := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(built.rootfs, binDir, "helm-airgap"), append([]string{"mirror", "--from-archive", built.target}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "docker"), "HELM_AIRGAP_CONFIG=")
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if exit, ok := err.(*exec.ExitError); ok {
				stderr = exit.Stderr
			}
			t.Fatalf("helm-airgap mirror --from-archive %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return string(out)
	}
	version, err := release.PluginVersion(filepath.Join(testtool.ModuleRoot(t), "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Without a config, the archive names the image's own repository.
	named := defaultRepository + ":" + version
	if got := mirror("--dry-run"); strings.TrimSpace(got) != named+" "+named {
		t.Errorf("the archive's plan:\n%s\nwant %s %s", got, named, named)
	}
	// With a mirror, the image goes under it, and is the image built.
	plan := strings.Fields(mirror("--mirror", reg.Host+"/mirror", "--dry-run"))
	if len(plan) != 2 || !strings.HasPrefix(plan[1], reg.Host+"/mirror/") {
		t.Fatalf("the plan under the mirror: %q", plan)
	}
	mirror("--mirror", reg.Host+"/mirror")
	if got := reg.Digest(t, plan[1]); got != built.digest {
		t.Errorf("%s holds %s, the image built is %s", plan[1], got, built.digest)
	}
}
