//go:build benchmirror

package mirror

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// The synthetic plan: 40 images on six base families, as a platform
// release looks. Base layers are shared; sizes are compressed sizes of the
// public images they stand for (alpine 3.20, debian 12 slim, ubuntu
// 24.04, distroless base, python 3.12 slim's runtime, node 22's runtime).
var bases = []struct {
	name   string
	layers []int64 // bytes, before scaling
}{
	{"alpine", []int64{3_600_000}},
	{"debian-slim", []int64{28_200_000}},
	{"ubuntu", []int64{29_700_000}},
	{"distroless", []int64{800_000, 2_100_000, 104_000}},
	{"python", []int64{28_200_000, 3_500_000, 12_600_000, 250}},
	{"node", []int64{28_200_000, 24_000_000, 49_000_000, 1_300_000}},
}

const (
	images = 40
	// ownTotal is what the images' own layers add up to, before scaling:
	// with the bases, about 1.5 GB.
	ownTotal = 1_330_000_000
)

// layerSpec is one layer: its seed makes its content, size its length.
type layerSpec struct {
	seed uint64
	size int64
}

// imageSpec is one image of the plan; arm64 is set for the one
// multi-platform index.
type imageSpec struct {
	repo   string
	layers []layerSpec
	arm64  []layerSpec
}

// makePlan draws the plan at scale (1 = 1.5 GB). Own layers per image: 2
// to 5, log-normal sizes (median 4 MB, a long tail to a few hundred MB),
// the shape of layer sizes in public images: many small layers, a few
// large ones holding the application.
func makePlan(scale float64) []imageSpec {
	rng := rand.New(rand.NewPCG(21, 1500))
	var plan []imageSpec
	var own float64
	for i := range images {
		base := bases[i%len(bases)]
		img := imageSpec{repo: fmt.Sprintf("bench/%s-app-%02d", base.name, i)}
		for j, size := range base.layers {
			img.layers = append(img.layers, layerSpec{seed: uint64(1000*(i%len(bases)) + j), size: size})
		}
		for j := range 2 + rng.IntN(4) {
			size := math.Min(4e6*math.Exp(1.5*rng.NormFloat64()), 400e6)
			img.layers = append(img.layers, layerSpec{seed: uint64(100000 + 100*i + j), size: int64(size)})
			own += size
		}
		plan = append(plan, img)
	}
	// Scale the own layers to ownTotal, then everything to scale.
	for i := range plan {
		for j := range plan[i].layers {
			l := &plan[i].layers[j]
			if l.seed >= 100000 {
				l.size = int64(float64(l.size) * ownTotal / own)
			}
			l.size = max(int64(float64(l.size)*scale), 1024)
		}
	}
	// The first image is a two-platform index: arm64 has its own layers.
	for _, l := range plan[0].layers {
		plan[0].arm64 = append(plan[0].arm64, layerSpec{seed: l.seed + 50000000, size: l.size})
	}
	return plan
}

// changed returns the plan with 4 images given a new build of their
// largest own layer (the application, on the same base), and those layers.
func changed(plan []imageSpec) ([]imageSpec, []layerSpec) {
	out := make([]imageSpec, len(plan))
	copy(out, plan)
	var fresh []layerSpec
	for _, i := range []int{3, 14, 25, 36} {
		img := out[i]
		img.layers = append([]layerSpec(nil), img.layers...)
		app := -1
		for j, l := range img.layers {
			if l.seed >= 100000 && (app < 0 || l.size > img.layers[app].size) {
				app = j
			}
		}
		img.layers[app].seed += 7000000
		fresh = append(fresh, img.layers[app])
		out[i] = img
	}
	return out, fresh
}

// content is a layer's bytes: random, so incompressible, as gzip layers are.
func content(l layerSpec) []byte {
	b := make([]byte, l.size)
	r := rand.NewChaCha8([32]byte{byte(l.seed), byte(l.seed >> 8), byte(l.seed >> 16), byte(l.seed >> 24), byte(l.seed >> 32)})
	r.Read(b)
	return b
}

func buildImage(t testing.TB, layers []layerSpec, arch string) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	if img, err = mutate.ConfigFile(img, cfg); err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		layer := static.NewLayer(content(l), types.OCILayer)
		if img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer}); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// seed pushes the plan to src as repo:1.0, and a cosign signature of the
// second image, and returns each image's source reference.
func seed(t testing.TB, src *registrytest.Registry, plan []imageSpec) []string {
	t.Helper()
	var refs []string
	for i, spec := range plan {
		var obj interface {
			Digest() (v1.Hash, error)
		}
		if spec.arm64 == nil {
			img := buildImage(t, spec.layers, "amd64")
			src.Push(t, spec.repo+":1.0", img)
			obj = img
		} else {
			idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
			for _, p := range []struct {
				arch   string
				layers []layerSpec
			}{{"amd64", spec.layers}, {"arm64", spec.arm64}} {
				idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: buildImage(t, p.layers, p.arch),
					Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: p.arch}}})
			}
			src.Push(t, spec.repo+":1.0", idx)
			obj = idx
		}
		if i == 1 {
			d, err := obj.Digest()
			if err != nil {
				t.Fatal(err)
			}
			key := registrytest.NewSigningKey(t)
			payload, sig := key.Sign(t, d)
			src.PushSignedPayload(t, spec.repo, d, payload, sig)
		}
		refs = append(refs, src.Ref(spec.repo+":1.0"))
	}
	return refs
}

// manifests is a rendered release using every image, for helm-airgap.
func manifests(refs []string) string {
	var b strings.Builder
	for i, ref := range refs {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: app-%02d, namespace: bench}\nspec:\n  containers:\n    - {name: app, image: %q}\n", i, ref)
	}
	return b.String()
}

func total(layers []layerSpec) int64 {
	var n int64
	for _, l := range layers {
		n += l.size
	}
	return n
}
