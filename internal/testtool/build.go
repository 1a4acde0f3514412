package testtool

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

// Pinned tools: the names under build/tools/ and the go.mod tool packages
// they are built from. Other tests build the same paths, so they must agree.
const (
	Helm3     = "helm3"
	Helm4     = "helm4"
	Kustomize = "kustomize"
)

var toolPackages = map[string]string{
	Helm3:     "helm.sh/helm/v3/cmd/helm",
	Helm4:     "helm.sh/helm/v4/cmd/helm",
	Kustomize: "sigs.k8s.io/kustomize/kustomize/v5",
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

// Tool returns the path of a pinned tool (Helm3, Helm4, Kustomize), building
// it into build/tools/ first when it is missing.
func Tool(t testing.TB, name string) string {
	t.Helper()
	pkg, ok := toolPackages[name]
	if !ok {
		t.Fatalf("testtool: unknown tool %q", name)
	}
	root := ModuleRoot(t)
	path := filepath.Join(root, "build", "tools", name)
	if isFile(path) {
		return path
	}
	if err := buildOnce(root, path, pkg); err != nil {
		t.Fatalf("testtool: building %s from go.mod's tool dependency %s: %v", name, pkg, err)
	}
	return path
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
func buildOnce(root, path, pkg string) error {
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
	return build(root, path, pkg)
}

// build runs go build into a temporary directory beside path (same file
// system, so the rename is atomic) and renames the binary into place.
func build(root, path, pkg string) error {
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
	cmd.Dir = root
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
