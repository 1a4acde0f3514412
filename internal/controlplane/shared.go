package controlplane

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// shared is the test package's one control plane.
var shared struct {
	inMain atomic.Bool
	once   sync.Once
	cp     *ControlPlane
	err    error
}

// Main runs the package's tests and then stops the shared control plane,
// if a test started one. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(controlplane.Main(m)) }
func Main(m *testing.M) int {
	shared.inMain.Store(true)
	code := m.Run()
	if shared.cp != nil {
		shared.cp.Stop()
	}
	return code
}

// Shared returns the test package's control plane, starting it (and
// building etcd and kube-apiserver, the first time on a machine) on first
// use. The package's TestMain must call Main, which stops it.
func Shared(t testing.TB) *ControlPlane {
	t.Helper()
	if !shared.inMain.Load() {
		t.Fatal("controlplane: Shared needs the test package's TestMain to run controlplane.Main, which stops the control plane")
	}
	bin := binaries{etcd: testtool.Tool(t, testtool.Etcd), apiserver: testtool.Tool(t, testtool.KubeAPIServer)}
	shared.once.Do(func() {
		shared.cp, shared.err = start(bin)
		// The free ports are released before the servers bind them; if
		// another process took one in between, new ports will do.
		if shared.err != nil && strings.Contains(shared.err.Error(), "address already in use") {
			shared.cp, shared.err = start(bin)
		}
	})
	if shared.err != nil {
		t.Fatalf("controlplane: %v", shared.err)
	}
	return shared.cp
}

// Namespace creates a namespace for t alone and returns its name.
func (cp *ControlPlane) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: namespacePrefix(t.Name())}}
	created, err := cp.Client.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("controlplane: creating a namespace for %s: %v", t.Name(), err)
	}
	return created.Name
}

var notDNSLabel = regexp.MustCompile(`[^a-z0-9]+`)

// namespacePrefix turns a test name into a namespace name prefix: a DNS
// label short enough for the random suffix the API server adds.
func namespacePrefix(test string) string {
	name := strings.Trim(notDNSLabel.ReplaceAllString(strings.ToLower(test), "-"), "-")
	if len(name) > 50 {
		name = strings.TrimRight(name[:50], "-")
	}
	return name + "-"
}

// KubeconfigFor writes a kubeconfig for the admin whose context defaults to
// namespace, into a directory of t's, and returns its path: Helm run with
// it installs into namespace without a --namespace flag.
func (cp *ControlPlane) KubeconfigFor(t testing.TB, namespace string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	ca := cp.Config.TLSClientConfig.CAData
	if len(ca) == 0 {
		data, err := os.ReadFile(cp.Config.TLSClientConfig.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		ca = data
	}
	if err := writeKubeconfig(path, cp.Config.Host, ca, cp.Config.BearerToken, namespace); err != nil {
		t.Fatal(fmt.Errorf("controlplane: %w", err))
	}
	return path
}
