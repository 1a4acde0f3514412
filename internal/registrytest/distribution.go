package registrytest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"golang.org/x/crypto/bcrypt"
)

// distributionConfig is the registry's configuration: filesystem storage
// (what most self-hosted registries use), deletes allowed (tests remove
// manifests), TLS with a certificate of the test CA, htpasswd auth, and
// the access log on stdout, which is how Requests sees what was asked.
const distributionConfig = `version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  tls:
    certificate: %q
    key: %q
auth:
  htpasswd:
    realm: registrytest
    path: %q
`

// process is one running distribution registry.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *bytes.Buffer // guarded by log.mu

	log  *accessLog
	sync int // sentinel requests sent
}

// NewDistribution starts the CNCF distribution registry (v3, built from
// tools/registry) on loopback with TLS, its certificate signed by the test
// CA (CAFile, Transport), and htpasswd auth with a user of its own
// (Username, Password; DockerConfig writes them where clients look). It
// stops when the test ends. It has no OCI referrers API: clients use the
// "sha256-<hex>" tag fallback. Fault is not supported.
func NewDistribution(t testing.TB) *Registry {
	t.Helper()
	bin := testtool.Tool(t, testtool.Registry)
	dir := t.TempDir()
	r := &Registry{Username: "robot", Password: randomPassword(t), Storage: filepath.Join(dir, "storage"), t: t}
	htpasswd := filepath.Join(dir, "htpasswd")
	hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(htpasswd, []byte(r.Username+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, err := theCA(t).issue(dir)
	if err != nil {
		t.Fatalf("registrytest: issuing a serving certificate: %v", err)
	}
	// The port is found free and then released; another process may take
	// it in between, so a registry that cannot bind is started again.
	for attempt := 0; ; attempt++ {
		addr := freePort(t)
		config := filepath.Join(dir, "config.yml")
		body := fmt.Sprintf(distributionConfig, r.Storage, addr, certFile, keyFile, htpasswd)
		if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		r.Host = addr
		r.proc, err = startDistribution(t, bin, config, r)
		if err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		t.Fatalf("registrytest: starting the distribution registry: %v", err)
	}
	credentials.add(r.Host, r.Username, r.Password)
	return r
}

// startDistribution runs the registry and waits until it answers over TLS.
func startDistribution(t testing.TB, bin, config string, r *Registry) (*process, error) {
	p := &process{exited: make(chan struct{}), stderr: &bytes.Buffer{}, log: &accessLog{}}
	p.cmd = exec.Command(bin, "serve", config)
	// No telemetry exporters: nothing leaves loopback.
	p.cmd.Env = append(os.Environ(), "OTEL_SDK_DISABLED=true", "OTEL_TRACES_EXPORTER=none")
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.cmd.Stderr = lockedWriter{&p.log.mu, p.stderr}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go p.log.read(stdout)
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
	})
	client := &http.Client{Transport: Transport(t), Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get("https://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return p, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("it exited: %s", p.stderrText())
		default:
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("not answering on %s after a minute (%v): %s", r.Host, err, p.stderrText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *process) stderrText() string {
	p.log.mu.Lock()
	defer p.log.mu.Unlock()
	return p.stderr.String()
}

// requests returns the requests logged since the last call. The access log
// line is written when a response is finished, so a sentinel request is
// sent and the log read until it shows: every request the test made before
// has been logged by then.
func (p *process) requests(t testing.TB, host string) []string {
	t.Helper()
	p.sync++
	sentinel := fmt.Sprintf("/registrytest-sync/%d", p.sync)
	client := &http.Client{Transport: Transport(t), Timeout: 10 * time.Second}
	resp, err := client.Get("https://" + host + sentinel)
	if err != nil {
		t.Fatalf("registrytest: reaching %s: %v", host, err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := p.log.until(ctx, "GET "+sentinel)
	if err != nil {
		t.Fatalf("registrytest: the access log of %s never showed %s: %v", host, sentinel, err)
	}
	return out
}

// accessLog collects "METHOD /path" of every access log line (Apache
// combined format) the registry writes.
type accessLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *accessLog) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if req, ok := requestOf(sc.Text()); ok {
			l.mu.Lock()
			l.lines = append(l.lines, req)
			l.mu.Unlock()
		}
	}
}

// requestOf reads `... "GET /v2/x/blobs/sha256:... HTTP/2.0" 200 ...` as
// "GET /v2/x/blobs/sha256:...".
func requestOf(line string) (string, bool) {
	_, quoted, ok := strings.Cut(line, `"`)
	if !ok {
		return "", false
	}
	reqLine, _, _ := strings.Cut(quoted, `"`)
	fields := strings.Fields(reqLine)
	if len(fields) != 3 {
		return "", false
	}
	path, _, _ := strings.Cut(fields[1], "?")
	return fields[0] + " " + path, true
}

// until waits for the line sentinel and returns (and forgets) the lines
// before it.
func (l *accessLog) until(ctx context.Context, sentinel string) ([]string, error) {
	for {
		l.mu.Lock()
		for i, line := range l.lines {
			if line == sentinel {
				out := append([]string(nil), l.lines[:i]...)
				l.lines = l.lines[i+1:]
				l.mu.Unlock()
				return out, nil
			}
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// freePort returns a loopback address whose port was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("registrytest: finding a free loopback port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func randomPassword(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}
