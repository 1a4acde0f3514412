package registrytest

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
)

// credentials are the users of the distribution registries this process
// started, by host, for the seeding helpers (which are not what a test
// checks: the code under test reads DockerConfig's file).
var credentials = &keychain{users: map[string]authn.Basic{}}

type keychain struct {
	mu    sync.Mutex
	users map[string]authn.Basic
}

func (k *keychain) add(host, user, pass string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.users[host] = authn.Basic{Username: user, Password: pass}
}

// Resolve implements authn.Keychain: anonymous for a registry it did not
// start.
func (k *keychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if b, ok := k.users[res.RegistryStr()]; ok {
		return &b, nil
	}
	return authn.Anonymous, nil
}

// DockerConfig writes dir/config.json, the file `docker login` writes and
// crane, Helm and helm-airgap read (DOCKER_CONFIG=dir), with the
// credentials of regs; the in-memory registries among them need none and
// are left out. It returns dir.
func DockerConfig(t testing.TB, dir string, regs ...*Registry) string {
	t.Helper()
	auths := map[string]map[string]string{}
	for _, r := range regs {
		if r.Username == "" {
			continue
		}
		auths[r.Host] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(r.Username + ":" + r.Password))}
	}
	data, err := json.MarshalIndent(map[string]any{"auths": auths}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Login points DOCKER_CONFIG, for the rest of the test, at a new config
// holding the credentials of regs, as `docker login` to each would: clients
// in the test process that use authn.DefaultKeychain then find them the way
// crane and Helm do. Call it again with every registry when one is added.
func Login(t testing.TB, regs ...*Registry) {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", DockerConfig(t, filepath.Join(t.TempDir(), "docker"), regs...))
}
