package argocdtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/testproc"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"go.yaml.in/yaml/v3"
)

// ManifestRequest is the part of the repo-server's ManifestRequest
// (reposerver/apiclient) that the application controller fills in for an
// Application with a plugin source; cmpdrive decodes it into Argo CD's own
// type.
type ManifestRequest struct {
	AppName           string            `json:"appName"`
	Namespace         string            `json:"namespace"`
	ProjectName       string            `json:"projectName"`
	KubeVersion       string            `json:"kubeVersion"`
	APIVersions       []string          `json:"apiVersions"`
	AppLabelKey       string            `json:"appLabelKey"`
	TrackingMethod    string            `json:"trackingMethod"`
	Repo              Repository        `json:"repo"`
	ApplicationSource ApplicationSource `json:"applicationSource"`
}

// Repository is the Application's repository; its URL becomes
// ARGOCD_APP_SOURCE_REPO_URL.
type Repository struct {
	Repo string `json:"repo"`
}

// ApplicationSource is an Application's spec.source.
type ApplicationSource struct {
	RepoURL        string  `json:"repoURL"`
	Path           string  `json:"path"`
	TargetRevision string  `json:"targetRevision"`
	Plugin         *Plugin `json:"plugin"`
}

// Plugin is spec.source.plugin; an empty name lets the repo-server find the
// plugin by discovery.
type Plugin struct {
	Name       string      `json:"name,omitempty"`
	Env        []EnvEntry  `json:"env,omitempty"`
	Parameters []Parameter `json:"parameters,omitempty"`
}

// EnvEntry is one spec.source.plugin.env entry (ARGOCD_ENV_<name>).
type EnvEntry struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Parameter is one spec.source.plugin.parameters entry: a string, an array
// or a map.
type Parameter struct {
	Name   string            `json:"name"`
	String *string           `json:"string,omitempty"`
	Array  []string          `json:"array,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
}

// Sidecar is a running argocd-cmp-server.
type Sidecar struct {
	sockets string // ARGOCD_PLUGINSOCKFILEPATH, shared with the repo-server
	log     *syncBuffer
}

// StartSidecar starts argocd-cmp-server as the sidecar container runs it:
// its plugin config in configDir (the container's
// /home/argocd/cmp-server/config) and env as the container's environment
// (PATH, HOME, the plugin's own settings), with a TMPDIR of its own unless
// env sets one, and its socket in a directory of its own. It returns once
// the server listens; the server stops when the test ends, and its log is
// shown when the test failed.
func StartSidecar(t testing.TB, configDir string, env []string) *Sidecar {
	t.Helper()
	if testing.Short() {
		t.Skip("builds Argo CD's cmp-server")
	}
	binary := testtool.Tool(t, testtool.ArgoCDCMPServer)
	socket := socketName(t, configDir)
	// A socket path is limited to 108 bytes; t.TempDir's names are long.
	sockets, err := os.MkdirTemp("", "cmp-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockets) })

	s := &Sidecar{sockets: sockets, log: &syncBuffer{}}
	cmd := exec.Command(binary, "--config-dir-path", configDir, "--logformat", "text")
	cmd.Env = append(append([]string{"TMPDIR=" + t.TempDir()}, env...), "ARGOCD_PLUGINSOCKFILEPATH="+sockets)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	server, err := testproc.Start(cmd)
	if err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	listening := filepath.Join(sockets, socket)
	t.Cleanup(func() {
		// argocd-cmp-server answers SIGTERM by removing its socket and
		// serving on until the kubelet kills it: the socket gone, it
		// has stopped.
		server.StopWhen(10*time.Second, func() bool {
			_, err := os.Stat(listening)
			return errors.Is(err, fs.ErrNotExist)
		})
		if t.Failed() {
			t.Logf("argocd-cmp-server log:\n%s", s.log.String())
		}
	})
	s.waitForSocket(t, listening, server.Exited())
	return s
}

// socketName is where argocd-cmp-server listens (PluginConfig.Address):
// <name>.sock, or <name>-<version>.sock for a versioned plugin.
func socketName(t testing.TB, configDir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(configDir, "plugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var config struct {
		Metadata struct{ Name string }    `yaml:"metadata"`
		Spec     struct{ Version string } `yaml:"spec"`
	}
	if err := yaml.Unmarshal(data, &config); err != nil {
		t.Fatalf("reading the plugin config: %v", err)
	}
	if config.Spec.Version != "" {
		return config.Metadata.Name + "-" + config.Spec.Version + ".sock"
	}
	return config.Metadata.Name + ".sock"
}

// waitForSocket waits until the server listens, failing at once if it
// exits first (a plugin config it refuses, say).
func (s *Sidecar) waitForSocket(t testing.TB, socket string, exited <-chan struct{}) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if info, err := os.Stat(socket); err == nil && info.Mode()&fs.ModeSocket != 0 {
			return
		}
		select {
		case <-exited:
			t.Fatalf("argocd-cmp-server exited before listening on %s:\n%s", socket, s.log.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("argocd-cmp-server does not listen on %s:\n%s", socket, s.log.String())
		}
	}
}

// Result is what the repo-server got: the manifests (a YAML stream of one
// JSON document each) on Stdout, or the error on Stderr with a non-zero
// Code.
type Result struct {
	Stdout, Stderr string
	Code           int
}

// Generate asks the sidecar for an Application's manifests as the
// repo-server does: cmpdrive runs the repo-server's GenerateManifests on
// repo, a checked-out repository that the request's
// applicationSource.path is relative to.
func (s *Sidecar) Generate(t testing.TB, repo string, req ManifestRequest) Result {
	t.Helper()
	drive := testtool.Tool(t, testtool.ArgoCDCMPDrive)
	data, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(drive, "--repo", repo)
	cmd.Stdin = bytes.NewReader(data)
	cmd.Env = []string{
		"PATH=/usr/bin:/bin",
		"HOME=" + t.TempDir(),
		"TMPDIR=" + t.TempDir(),
		"ARGOCD_PLUGINSOCKFILEPATH=" + s.sockets,
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errOut.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running %v: %v", cmd.Args, err)
	}
	return res
}

// syncBuffer collects the server's output while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
