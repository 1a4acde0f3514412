package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SigningKey is a key pair made for a test, as cosign generate-key-pair
// makes one (ECDSA P-256), with the public half in PEM.
type SigningKey struct {
	priv   *ecdsa.PrivateKey
	PubPEM []byte
}

// NewSigningKey makes a key pair.
func NewSigningKey(t testing.TB) *SigningKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &SigningKey{priv, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})}
}

// Sign makes cosign's simple-signing payload for digest and its base64
// signature, as cosign sign --key does.
func (k *SigningKey) Sign(t testing.TB, digest v1.Hash) ([]byte, string) {
	t.Helper()
	payload := []byte(fmt.Sprintf(`{"critical":{"identity":{"docker-reference":"example.com/app"},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, digest))
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return payload, base64.StdEncoding.EncodeToString(sig)
}

// SignBlob signs data as cosign sign-blob --key does: the base64 ECDSA
// signature of its SHA-256.
func (k *SigningKey) SignBlob(t testing.TB, data []byte) string {
	t.Helper()
	sum := sha256.Sum256(data)
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}
