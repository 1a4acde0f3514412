package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/controlplane"
	"github.com/plexicus/helm-airgap/internal/helmtest"
)

// The tests that install share one real control plane (etcd and
// kube-apiserver, internal/controlplane; TestMain in dist_test.go stops it),
// each in a namespace of its own.

// cluster is one test's namespace on the real API server.
type cluster struct {
	cp        *controlplane.ControlPlane
	namespace string
}

// newCluster points h at a fresh namespace of the shared control plane
// (the kubeconfig's context defaults to it): Helm 3 talks to the cluster
// even for --dry-run.
func newCluster(t *testing.T, h *helmtest.Helm) cluster {
	t.Helper()
	cp := controlplane.Shared(t)
	c := cluster{cp: cp, namespace: cp.Namespace(t)}
	h.Setenv("KUBECONFIG", cp.KubeconfigFor(t, c.namespace))
	return c
}

// stored lists the images of every pod spec the API server stores in the
// namespace: workloads and the hooks Helm kept.
func (c cluster) stored(t *testing.T) []podImage {
	t.Helper()
	return podImages(c.cp.Objects(t, c.namespace))
}

// ran lists the images of every Job and Pod ever created in the namespace,
// hooks that Helm has deleted since included.
func (c cluster) ran() []podImage {
	return podImages(c.cp.Ran(c.namespace))
}

// assertEmpty fails if anything was stored or run in the namespace.
func (c cluster) assertEmpty(t *testing.T, what string) {
	t.Helper()
	for _, obj := range append(c.cp.Objects(t, c.namespace), c.cp.Ran(c.namespace)...) {
		meta, _ := obj["metadata"].(map[string]any)
		t.Errorf("%s reached the cluster: %v %v", what, obj["kind"], meta["name"])
	}
}

// assertAllMirrored fails unless every image is on the mirror with the pull
// secret; unlike assertMirrored it takes any set of pod specs, such as
// every hook run so far.
func assertAllMirrored(t *testing.T, what string, images []podImage) {
	t.Helper()
	if len(images) == 0 {
		t.Errorf("%s: no pod images", what)
	}
	for _, i := range images {
		if !strings.HasPrefix(i.image, mirrorHost) || !contains(i.pullSecrets, pullSecret) {
			t.Errorf("%s: %s is not on the mirror with the pull secret", what, i)
		}
	}
}

// count is how many of images belong to resource ("Kind/name").
func count(images []podImage, resource string) int {
	n := 0
	for _, i := range images {
		if i.resource == resource {
			n++
		}
	}
	return n
}

// storedRelease decodes the release record of revision, as stored in the
// namespace: a Secret holding base64 of gzipped JSON.
func (c cluster) storedRelease(t *testing.T, name string, revision int) (rel struct {
	Manifest string
	Hooks    []struct{ Manifest string }
}) {
	t.Helper()
	secret := fmt.Sprintf("sh.helm.release.v1.%s.v%d", name, revision)
	for _, obj := range c.cp.Objects(t, c.namespace) {
		meta, _ := obj["metadata"].(map[string]any)
		if obj["kind"] != "Secret" || meta["name"] != secret {
			continue
		}
		data, _ := obj["data"].(map[string]any)
		encoded, _ := data["release"].(string)
		outer, err := base64.StdEncoding.DecodeString(encoded) // the Secret's own encoding
		if err != nil {
			t.Fatal(err)
		}
		inner, err := base64.StdEncoding.DecodeString(string(outer)) // Helm's
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(inner))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(plain, &rel); err != nil {
			t.Fatal(err)
		}
		return rel
	}
	t.Fatalf("no release record %s in namespace %s", secret, c.namespace)
	return rel
}
