package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// authority is the throwaway certificate authority of one test process: it
// signs every distribution registry's serving certificate, so one CA file
// (SSL_CERT_FILE) lets a client trust all of them.
type authority struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

var (
	caOnce sync.Once
	ca     *authority
	caErr  error
)

// theCA makes the process's authority on first use.
func theCA(t testing.TB) *authority {
	t.Helper()
	caOnce.Do(func() { ca, caErr = newAuthority() })
	if caErr != nil {
		t.Fatalf("registrytest: making a test CA: %v", caErr)
	}
	return ca
}

func newAuthority() (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "registrytest throwaway CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue writes a serving certificate for 127.0.0.1 and localhost, and its
// key, into dir as cert.pem and key.pem.
func (a *authority) issue(dir string) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	return certFile, keyFile, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// CAFile writes the test CA's certificate into a directory of the test and
// returns its path: SSL_CERT_FILE for a command that must trust the
// distribution registries (Go, and so crane and Helm, read it on Linux).
func CAFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registrytest-ca.pem")
	if err := os.WriteFile(path, theCA(t).certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var (
	transportOnce sync.Once
	transport     *http.Transport
)

// Transport is go-containerregistry's default transport trusting the
// system roots and the test CA, for clients inside the test process (whose
// system pool was loaded before any SSL_CERT_FILE could be set).
func Transport(t testing.TB) http.RoundTripper {
	t.Helper()
	theCA(t)
	return sharedTransport()
}

// sharedTransport is Transport for callers without a test; without a CA
// (it could not be made) it is the default transport.
func sharedTransport() *http.Transport {
	caOnce.Do(func() { ca, caErr = newAuthority() })
	transportOnce.Do(func() {
		transport = remote.DefaultTransport.(*http.Transport).Clone()
		if caErr != nil {
			return
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pool.AddCert(ca.cert)
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	})
	return transport
}

// remoteOptions are what the seeding and checking helpers talk to any
// test registry with: the test CA and the registries' users.
func remoteOptions() []remote.Option {
	return []remote.Option{remote.WithTransport(sharedTransport()), remote.WithAuthFromKeychain(credentials)}
}
