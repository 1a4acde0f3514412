package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// proxy is an HTTPS_PROXY on loopback that answers CONNECT itself: it
// terminates TLS for whatever host the client names, with a certificate
// from its own CA, and serves a registry that knows no image.
type proxy struct {
	outer, inner *http.Server
	conns        chan net.Conn
	dir          string

	mu   sync.Mutex
	urls []string
}

func startProxy() (*proxy, error) {
	dir, err := os.MkdirTemp("", "k3s-registries-")
	if err != nil {
		return nil, err
	}
	ca, caKey, err := newCA(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, err
	}
	// Read by crypto/x509 when it first loads the system roots; wharfie's
	// transports use them for an endpoint without a tls: section.
	os.Setenv("SSL_CERT_FILE", filepath.Join(dir, "ca.pem"))
	os.Unsetenv("SSL_CERT_DIR")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	os.Setenv("HTTPS_PROXY", "http://"+ln.Addr().String())
	os.Setenv("HTTP_PROXY", "http://"+ln.Addr().String())
	os.Unsetenv("NO_PROXY")
	os.Unsetenv("no_proxy")
	p := &proxy{conns: make(chan net.Conn), dir: dir}
	p.inner = &http.Server{Handler: http.HandlerFunc(p.registry), TLSConfig: &tls.Config{
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			return leaf(ca, caKey, hello.ServerName)
		},
	}}
	p.outer = &http.Server{Handler: http.HandlerFunc(p.connect)}
	go p.outer.Serve(ln)
	go p.inner.ServeTLS(chanListener{p.conns, ln.Addr()}, "", "")
	return p, nil
}

func (p *proxy) close() {
	p.outer.Close()
	os.RemoveAll(p.dir)
}

func (p *proxy) reset() {
	p.mu.Lock()
	p.urls = nil
	p.mu.Unlock()
}

func (p *proxy) manifestURLs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.urls...)
}

// connect hands a CONNECT tunnel to the TLS-terminating registry.
func (p *proxy) connect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		p.registry(w, r) // a plain-http endpoint through the proxy
		return
	}
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	conn.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
	p.conns <- conn
}

// registry pings fine and knows no manifest, recording what was asked for.
func (p *proxy) registry(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "/manifests/") {
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		p.mu.Lock()
		p.urls = append(p.urls, scheme+"://"+r.Host+r.URL.Path)
		p.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/v2/" {
		w.Write([]byte("{}"))
		return
	}
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}`))
}

type chanListener struct {
	conns chan net.Conn
	addr  net.Addr
}

func (l chanListener) Accept() (net.Conn, error) {
	c, ok := <-l.conns
	if !ok {
		return nil, errors.New("closed")
	}
	return c, nil
}
func (l chanListener) Close() error   { return nil }
func (l chanListener) Addr() net.Addr { return l.addr }

func newCA(path string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "k3s-registries test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return cert, key, os.WriteFile(path, pemData, 0o600)
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, host string) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
