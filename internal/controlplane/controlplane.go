package controlplane

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// startTimeout bounds how long etcd and the API server may take to serve:
// about 20 s is usual, a loaded 2-core machine takes longer.
const startTimeout = 3 * time.Minute

// ControlPlane is a running etcd and kube-apiserver.
type ControlPlane struct {
	// Kubeconfig is a kubeconfig file for the admin user (system:masters).
	Kubeconfig string
	// Config and Client are the admin's client configuration and clientset.
	Config  *rest.Config
	Client  kubernetes.Interface
	Dynamic dynamic.Interface

	dir       string
	etcd      *process
	apiserver *process
	hooks     *hookRunner
}

// binaries are the paths of the two control-plane programs.
type binaries struct{ etcd, apiserver string }

// start runs etcd and the API server in a new temporary directory and
// waits until the API server is ready.
func start(bin binaries) (cp *ControlPlane, err error) {
	dir, err := os.MkdirTemp("", "helm-airgap-controlplane-")
	if err != nil {
		return nil, fmt.Errorf("creating the control plane's directory: %w", err)
	}
	cp = &ControlPlane{dir: dir}
	// A failed start returns nil: stop what did start through its own
	// pointer, not the result.
	started := cp
	defer func() {
		if err != nil {
			started.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	if err := cp.startEtcd(bin.etcd, etcdURL, "http://127.0.0.1:"+strconv.Itoa(ports[1])); err != nil {
		return nil, err
	}
	token, err := cp.writeCredentials()
	if err != nil {
		return nil, err
	}
	if err := cp.startAPIServer(bin.apiserver, etcdURL, ports[2], token); err != nil {
		return nil, err
	}
	if err := cp.connect("https://127.0.0.1:"+strconv.Itoa(ports[2]), token); err != nil {
		return nil, err
	}
	cp.hooks = runHooks(cp.Client)
	return cp, nil
}

// Stop ends the hook controller, the API server and etcd, and removes their
// files.
func (cp *ControlPlane) Stop() {
	if cp.hooks != nil {
		cp.hooks.stop()
	}
	if cp.apiserver != nil {
		cp.apiserver.stop()
	}
	if cp.etcd != nil {
		cp.etcd.stop()
	}
	os.RemoveAll(cp.dir)
}

func (cp *ControlPlane) startEtcd(binary, clientURL, peerURL string) error {
	p, err := startProcess("etcd", binary, filepath.Join(cp.dir, "etcd.log"),
		"--name=controlplane",
		"--data-dir="+filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=controlplane="+peerURL,
		// A test cluster loses nothing it needs on a crash; fsync is most
		// of etcd's latency on a busy disk.
		"--unsafe-no-fsync",
	)
	if err != nil {
		return err
	}
	cp.etcd = p
	return waitFor(p, func() error { return get(http.DefaultClient, clientURL+"/health", "") })
}

// writeCredentials writes the service-account key pair and the static
// token file, and returns the admin's token.
func (cp *ControlPlane) writeCredentials() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("generating the service-account key: %w", err)
	}
	public, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", fmt.Errorf("encoding the service-account public key: %w", err)
	}
	secret := make([]byte, 16)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	token := hex.EncodeToString(secret)
	for name, data := range map[string][]byte{
		"sa.key":     pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		"sa.pub":     pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: public}),
		"tokens.csv": []byte(token + ",admin,admin,system:masters\n"),
	} {
		if err := os.WriteFile(filepath.Join(cp.dir, name), data, 0o600); err != nil {
			return "", fmt.Errorf("writing %s: %w", name, err)
		}
	}
	return token, nil
}

func (cp *ControlPlane) startAPIServer(binary, etcdURL string, port int, token string) error {
	p, err := startProcess("kube-apiserver", binary, filepath.Join(cp.dir, "kube-apiserver.log"),
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		// Kubernetes 1.37 refuses a loopback advertise address while it
		// keeps the kubernetes Service's endpoints; nothing here calls that
		// Service.
		"--endpoint-reconciler-type=none",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+filepath.Join(cp.dir, "certs"),
		"--token-auth-file="+filepath.Join(cp.dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(cp.dir, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(cp.dir, "sa.key"),
		"--service-cluster-ip-range=10.0.0.0/24",
		// Charts run privileged init containers (sysctl tuning); a real
		// cluster allows them unless a policy says otherwise.
		"--allow-privileged=true",
		// No controller manager creates the default ServiceAccount in a
		// new namespace, so admission must not require it.
		"--disable-admission-plugins=ServiceAccount",
	)
	if err != nil {
		return err
	}
	cp.apiserver = p
	// The probe skips verification: the certificate only appears once the
	// API server has started, and the token is only ever sent to loopback.
	probe := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	return waitFor(p, func() error {
		return get(probe, "https://127.0.0.1:"+strconv.Itoa(port)+"/readyz", token)
	})
}

// connect writes the admin kubeconfig, trusting the API server's own
// self-signed certificate, and builds the clients from it.
func (cp *ControlPlane) connect(server, token string) error {
	ca, err := os.ReadFile(filepath.Join(cp.dir, "certs", "apiserver.crt"))
	if err != nil {
		return fmt.Errorf("reading the API server's certificate: %w", err)
	}
	cp.Kubeconfig = filepath.Join(cp.dir, "kubeconfig")
	if err := writeKubeconfig(cp.Kubeconfig, server, ca, token, "default"); err != nil {
		return err
	}
	config, err := clientcmd.BuildConfigFromFlags("", cp.Kubeconfig)
	if err != nil {
		return fmt.Errorf("loading %s: %w", cp.Kubeconfig, err)
	}
	// Tests send many requests at once (a whole corpus of dry runs).
	config.QPS, config.Burst = 200, 400
	// Listing every resource (Objects) touches deprecated ones such as
	// v1 Endpoints; the warnings say nothing about the code under test.
	config.WarningHandler = rest.NoWarnings{}
	cp.Config = config
	if cp.Client, err = kubernetes.NewForConfig(config); err != nil {
		return err
	}
	cp.Dynamic, err = dynamic.NewForConfig(config)
	return err
}

// writeKubeconfig writes a kubeconfig for the admin whose context defaults
// to namespace.
func writeKubeconfig(path, server string, ca []byte, token, namespace string) error {
	config := clientcmdapi.NewConfig()
	config.Clusters["controlplane"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	config.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	config.Contexts["controlplane"] = &clientcmdapi.Context{Cluster: "controlplane", AuthInfo: "admin", Namespace: namespace}
	config.CurrentContext = "controlplane"
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		return fmt.Errorf("writing the kubeconfig %s: %w", path, err)
	}
	return nil
}

// waitFor polls ready until it succeeds, the process exits or startTimeout
// passes.
func waitFor(p *process, ready func() error) error {
	deadline := time.Now().Add(startTimeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if exited := p.running(); exited != nil {
			return exited
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not become ready within %v (%v):\n%s", p.name, startTimeout, err, p.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

var errNotReady = errors.New("not ready")

// get succeeds when url answers 200 OK.
func get(client *http.Client, url, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answers %s", errNotReady, url, resp.Status)
	}
	return nil
}

// freePorts asks the kernel for n free loopback ports. They are released
// before the servers bind them; nothing else on a test machine races for
// them in that moment often enough to matter.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free loopback port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
