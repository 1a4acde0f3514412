package testtool

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// Pinned tools: the names under build/tools/ and where they are built from.
// Other tests build the same paths, so they must agree.
const (
	Helm3         = "helm3"
	Helm4         = "helm4"
	Kustomize     = "kustomize"
	Etcd          = "etcd"
	KubeAPIServer = "kube-apiserver"
	// ArgoCDCMPServer is Argo CD's plugin sidecar server; ArgoCDCMPDrive
	// plays the repo-server that talks to it (tools/argocd/cmpdrive).
	ArgoCDCMPServer = "argocd-cmp-server"
	ArgoCDCMPDrive  = "argocd-cmpdrive"
	// Registry is the CNCF distribution registry (tools/registry).
	Registry = "registry"
	// Crane and Regctl are the peers make bench-mirror times helm-airgap
	// against (bench/peers).
	Crane  = "crane"
	Regctl = "regctl"
	// The container runtimes' own mirror resolvers, for the node
	// configuration tests (tools/runtimes/*): containerd's hosts.toml
	// loader and resolver, the containers/image sysregistriesv2 that CRI-O
	// and Podman use, and wharfie, k3s's and RKE2's registries.yaml code.
	ContainerdHosts  = "containerd-hosts"
	PodmanRegistries = "podman-registries"
	K3sRegistries    = "k3s-registries"
)

// toolSource is the package a tool is built from and the module directory
// (relative to the module root) whose go.mod pins it.
type toolSource struct {
	module string // "." for go.mod's tool dependencies
	pkg    string
}

// The control plane has modules of its own under tools/: k8s.io/kubernetes
// pins k8s.io/* at versions the project's own go.mod does not use, and etcd
// and the API server want different gRPC versions.
var toolSources = map[string]toolSource{
	Helm3:         {".", "helm.sh/helm/v3/cmd/helm"},
	Helm4:         {".", "helm.sh/helm/v4/cmd/helm"},
	Kustomize:     {".", "sigs.k8s.io/kustomize/kustomize/v5"},
	Etcd:          {"tools/controlplane/etcd", "."},
	KubeAPIServer: {"tools/controlplane/kube-apiserver", "."},
	// Argo CD pins k8s.io/* and gRPC at versions of its own too.
	ArgoCDCMPServer: {"tools/argocd", "."},
	ArgoCDCMPDrive:  {"tools/argocd", "./cmpdrive"},
	// distribution pins OpenTelemetry and gRPC at versions of its own.
	Registry: {"tools/registry", "."},
	Crane:    {"bench/peers", "github.com/google/go-containerregistry/cmd/crane"},
	Regctl:   {"bench/peers", "github.com/regclient/regclient/cmd/regctl"},
	// Each runtime in a module of its own: containerd, containers/image and
	// wharfie pin different versions of the same libraries.
	ContainerdHosts:  {"tools/runtimes/containerd", "."},
	PodmanRegistries: {"tools/runtimes/podman", "."},
	K3sRegistries:    {"tools/runtimes/k3s", "."},
}

// ModuleRoot is the directory holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testtool: no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Tool returns the path of a pinned tool (Helm3, Helm4, Kustomize, Etcd,
// KubeAPIServer, ArgoCDCMPServer, ArgoCDCMPDrive, Registry, Crane, Regctl,
// ContainerdHosts, PodmanRegistries, K3sRegistries), building it into
// build/tools/ first when it is missing.
// A tool from a module of its own is named with a hash of its pins.
func Tool(t testing.TB, name string) string {
	t.Helper()
	src, ok := toolSources[name]
	if !ok {
		t.Fatalf("testtool: unknown tool %q", name)
	}
	root := ModuleRoot(t)
	path := filepath.Join(root, "build", "tools", name)
	if src.module != "." {
		path += "-" + pinHash(t, filepath.Join(root, src.module))
	}
	if isFile(path) {
		return path
	}
	if err := buildOnce(filepath.Join(root, src.module), path, src.pkg); err != nil {
		t.Fatalf("testtool: building %s from %s in %s: %v", name, src.pkg, filepath.Join(src.module, "go.mod"), err)
	}
	return path
}

// pinHash names a tool module's contents (its pins and its mains), so that
// changing either builds a new binary instead of reusing the old one.
func pinHash(t testing.TB, moduleDir string) string {
	t.Helper()
	h := sha256.New()
	// Every file of the module, names included, in WalkDir's lexical
	// order: the pins, and the mains (a changed driver must be rebuilt).
	err := filepath.WalkDir(moduleDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleDir, path)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		t.Fatalf("testtool: hashing %s: %v", moduleDir, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

var (
	ownMu    sync.Mutex
	ownBuilt = map[string]string{}
)

// Command returns the path of one of the project's binaries (cmd/<name>),
// built once per test process into build/test-bin/ so that binaries meant
// to sit beside each other (helm-airgap and its companions) do.
func Command(t testing.TB, name string) string {
	t.Helper()
	ownMu.Lock()
	defer ownMu.Unlock()
	if path, ok := ownBuilt[name]; ok {
		return path
	}
	root := ModuleRoot(t)
	path := filepath.Join(root, "build", "test-bin", name)
	if err := build(root, path, "./cmd/"+name); err != nil {
		t.Fatalf("testtool: building cmd/%s: %v", name, err)
	}
	ownBuilt[name] = path
	return path
}

// buildOnce builds pkg to path unless another process (a test in another
// package, or another helper) finishes it first; a lock file serialises the
// builders and the build lands under a temporary name that is renamed into
// place, so nobody ever runs a half-written binary.
func buildOnce(moduleDir, path, pkg string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if isFile(path) {
		return nil
	}
	return build(moduleDir, path, pkg)
}

// build runs go build in moduleDir into a temporary directory beside path
// (same file system, so the rename is atomic) and renames the binary into
// place.
func build(moduleDir, path, pkg string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, filepath.Base(path))
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, msg)
	}
	return os.Rename(out, path)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
