package testtool

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// Names are the pinned tools the tests run, in the order `make tools` builds
// them: the ones most tests need first. Crane and Regctl are make
// bench-mirror's alone.
var Names = []string{Helm3, Helm4, Kustomize, Etcd, KubeAPIServer, Registry,
	ContainerdHosts, PodmanRegistries, K3sRegistries, ArgoCDCMPServer, ArgoCDCMPDrive}

// ByModule groups names (tools of Names) by the module they are built
// from, in order of first appearance: tools of one module build one after
// another, since two go builds of the same packages at once would each
// compile them, while different modules can build side by side.
func ByModule(names []string) ([][]string, error) {
	var groups [][]string
	at := map[string]int{}
	for _, name := range names {
		src, ok := toolSources[name]
		if !ok {
			return nil, fmt.Errorf("testtool: unknown tool %q", name)
		}
		i, seen := at[src.module]
		if !seen {
			i = len(groups)
			at[src.module] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], name)
	}
	return groups, nil
}

// ModuleRoot is the directory holding go.mod.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	root, err := FindModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// FindModuleRoot is the directory holding go.mod, from the working
// directory up.
func FindModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testtool: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Tool returns the path of a pinned tool (Helm3, Helm4, Kustomize, Etcd,
// KubeAPIServer, ArgoCDCMPServer, ArgoCDCMPDrive, Registry, Crane, Regctl,
// ContainerdHosts, PodmanRegistries, K3sRegistries), building it into
// build/tools/ first when it is missing (`make tools` builds the tests' ones
// before the tests, so that no test's -timeout pays for a build).
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, _, err := Ensure(ModuleRoot(t), name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// Ensure returns the path of a pinned tool under root/build/tools/,
// building it when it is missing or its pins changed; built says whether it
// did.
//
// A tool from a module of its own under tools/ is named with a hash of that
// module's files; go.mod's own tool dependencies (Helm 3 and 4, kustomize)
// keep plain names, which docs and `make demo` use (build/tools/helm4), and
// a stamp beside them (NAME.pin) holds the hash of go.mod and go.sum.
func Ensure(root, name string) (path string, built bool, err error) {
	src, ok := toolSources[name]
	if !ok {
		return "", false, fmt.Errorf("testtool: unknown tool %q", name)
	}
	path = filepath.Join(root, "build", "tools", name)
	var pin string
	if src.module != "." {
		hash, err := pinHash(filepath.Join(root, src.module), nil)
		if err != nil {
			return "", false, err
		}
		path += "-" + hash
	} else if pin, err = pinHash(root, []string{"go.mod", "go.sum"}); err != nil {
		return "", false, err
	}
	if isCurrent(path, pin) {
		return path, false, nil
	}
	if err := buildOnce(filepath.Join(root, src.module), path, src.pkg, pin); err != nil {
		return "", false, fmt.Errorf("testtool: building %s from %s in %s: %w", name, src.pkg, filepath.Join(src.module, "go.mod"), err)
	}
	return path, true, nil
}

// isCurrent says whether the tool at path exists and, when pin is set, was
// built from those pins.
func isCurrent(path, pin string) bool {
	if !isFile(path) {
		return false
	}
	if pin == "" {
		return true
	}
	stamp, err := os.ReadFile(path + ".pin")
	return err == nil && string(stamp) == pin
}

// pinHash names a tool module's contents (its pins and its mains), so that
// changing either builds a new binary instead of reusing the old one; with
// files, only those files of the module.
func pinHash(moduleDir string, files []string) (string, error) {
	h := sha256.New()
	add := func(path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(moduleDir, path)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	}
	if files != nil {
		for _, f := range files {
			if err := add(filepath.Join(moduleDir, f)); err != nil {
				return "", fmt.Errorf("testtool: hashing %s: %w", f, err)
			}
		}
		return hex.EncodeToString(h.Sum(nil))[:12], nil
	}
	// Every file of the module, names included, in WalkDir's lexical
	// order: the pins, and the mains (a changed driver must be rebuilt).
	err := filepath.WalkDir(moduleDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		return add(path)
	})
	if err != nil {
		return "", fmt.Errorf("testtool: hashing %s: %w", moduleDir, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

var (
	ownMu    sync.Mutex
	ownBuilt = map[string]string{}
)

// Command returns the path of one of the project's binaries (cmd/<name>),
// built once per test process into build/test-bin/, reusing
// the binary there when nothing changed, so that binaries meant
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
func buildOnce(moduleDir, path, pkg, pin string) error {
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
	if isCurrent(path, pin) {
		return nil
	}
	if err := build(moduleDir, path, pkg); err != nil {
		return err
	}
	if pin == "" {
		return nil
	}
	return os.WriteFile(path+".pin", []byte(pin), 0o644)
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
	// go build leaves an output whose build ID is already the one it would
	// link as it is: starting from the previous binary, an unchanged one
	// costs no link (each test package builds the same companions; a link
	// is seconds of CPU). A copy, not a hard link: go build must never
	// write into a binary another test may be running. go build refuses
	// to overwrite anything but an executable, hence isExecutable.
	if isExecutable(path) {
		if err := copyExecutable(path, out); err != nil {
			return err
		}
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = moduleDir
	// Without cgo, as make build and make dist build the binaries: the
	// -race step runs with CGO_ENABLED=1, which would otherwise compile
	// every dependency of every companion a second time (cgo is part of
	// each compile's cache key) and link binaries no user runs.
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, msg)
	}
	return os.Rename(out, path)
}

// copyExecutable copies the binary at from to the new file to.
func copyExecutable(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// isExecutable says whether path starts as the executables go build
// overwrites do (ELF, Mach-O, PE).
func isExecutable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil {
		return false
	}
	for _, magic := range []string{"\x7fELF", "\xfe\xed\xfa\xce", "\xfe\xed\xfa\xcf", "\xce\xfa\xed\xfe", "\xcf\xfa\xed\xfe", "MZ"} {
		if strings.HasPrefix(string(head), magic) {
			return true
		}
	}
	return false
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}
