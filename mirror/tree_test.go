package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// nestedArchive writes a sealed layout directory whose one image is a
// chain of indexes: the top one lists the next fanOut times, ..., the
// last lists one image fanOut times. depth counts the indexes.
func nestedArchive(t *testing.T, dst *registrytest.Registry, depth, fanOut int) string {
	t.Helper()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTaggable(lp, img, blobSink{}); err != nil {
		t.Fatal(err)
	}
	child, err := partialDescriptor(img)
	if err != nil {
		t.Fatal(err)
	}
	for range depth {
		im := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
		for range fanOut {
			im.Manifests = append(im.Manifests, child)
		}
		raw, err := json.Marshal(im)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := putBytes(lp, raw); err != nil {
			t.Fatal(err)
		}
		h, n, _ := v1.SHA256(strings.NewReader(string(raw)))
		child = v1.Descriptor{MediaType: types.OCIImageIndex, Digest: h, Size: n}
	}
	top := child
	top.Annotations = annotations(item("quay.io/evil/nested:1", dst.Ref("mirror/evil/nested:1")))
	if err := writeIndex(lp, []v1.Descriptor{top}); err != nil {
		t.Fatal(err)
	}
	if _, err := sealLayout(context.Background(), dir, []string{dst.Host}, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

func partialDescriptor(img v1.Image) (v1.Descriptor, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	h, n, err := v1.SHA256(strings.NewReader(string(raw)))
	return v1.Descriptor{MediaType: mediaTypeOf(raw), Digest: h, Size: n, Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}, err
}

// TestNestedIndexesCostTheirDistinctManifests is issue 23 item 4: an index
// listing an inner index N times, which lists one image N times, is pushed
// with work bounded by its three distinct manifests: a handful of requests
// and memory that does not grow with N*N (before: every listing was read,
// parsed and hashed again, N*N descriptors held at once).
func TestNestedIndexesCostTheirDistinctManifests(t *testing.T) {
	dst := registrytest.New(t)
	const fanOut = 3000 // 3000*3000 descriptors: gigabytes and minutes before
	a, err := OpenArchive(context.Background(), nestedArchive(t, dst, 2, fanOut))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := newClient(t, Options{}).Push(context.Background(), a, a.Entries)
	runtime.ReadMemStats(&after)
	requireOK(t, r)
	// 3 distinct manifests: HEAD each, a config and a layer, 3 PUTs.
	if n := len(dst.Requests()); n > 40 {
		t.Errorf("%d registry requests for 3 distinct manifests", n)
	}
	// The two indexes are ~300 KB each; reading each once costs a few MB.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
		t.Errorf("pushing allocated %d MiB", alloc>>20)
	}
	if got := dst.Digest(t, dst.Ref("mirror/evil/nested:1")); got != a.Entries[0].Descriptor.Digest {
		t.Errorf("destination holds %s, want %s", got, a.Entries[0].Descriptor.Digest)
	}
}

func TestDeeplyNestedIndexesAreRefused(t *testing.T) {
	dst := registrytest.New(t)
	a, err := OpenArchive(context.Background(), nestedArchive(t, dst, maxNesting+1, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	r := newClient(t, Options{}).Push(context.Background(), a, a.Entries)
	if err := r.Results[0].Err; err == nil || !strings.Contains(err.Error(), "indexes nest more than 4 deep") {
		t.Errorf("an index nested %d deep: %v", maxNesting+1, err)
	}
	if w := registrytest.Writes(dst.Requests()); len(w) > 0 {
		t.Errorf("a refused tree wrote %v", w)
	}
	ok, err := OpenArchive(context.Background(), nestedArchive(t, dst, maxNesting, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer ok.Close()
	requireOK(t, newClient(t, Options{}).Push(context.Background(), ok, ok.Entries))
}

// TestNestedPushStopsWhenInterrupted: a cancellation in the middle of a
// tree stops it before the next manifest.
func TestNestedPushStopsWhenInterrupted(t *testing.T) {
	dst := registrytest.New(t)
	a, err := OpenArchive(context.Background(), nestedArchive(t, dst, 3, 200))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var after atomic.Int32
	dst.Fault = func(_ http.ResponseWriter, r *http.Request) bool {
		if ctx.Err() != nil {
			after.Add(1)
		}
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			cancel() // the image is written: interrupt before its indexes
		}
		return false
	}
	r := newClient(t, Options{}).Push(ctx, a, a.Entries)
	if err := r.Results[0].Err; !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted push: %v", err)
	}
	if n := after.Load(); n > 1 {
		t.Errorf("%d requests after the interruption", n)
	}
}

// TestIndexPlatformsGoAtOnce: an index's platform manifests are pushed
// LayerJobs at once, not one after another, and never more than that. The
// destination holds each child manifest's PUT until a second one is under
// way (or ten seconds pass: a loaded machine is slow, and a pass waits only for the others) and counts the most under way at once.
func TestIndexPlatformsGoAtOnce(t *testing.T) {
	for _, tc := range []struct {
		layerJobs, want int
	}{
		{layerJobs: 4, want: 3},
		{layerJobs: 2, want: 2},
		{layerJobs: 1, want: 1},
	} {
		t.Run(fmt.Sprint("layer-jobs=", tc.layerJobs), func(t *testing.T) {
			src, dst := registrytest.New(t), registrytest.New(t)
			src.PushIndex(t, "team/multi:1", 3)
			var mu sync.Mutex
			cond := sync.NewCond(&mu)
			var inFlight, most int
			reached := false // want were under way at once
			dst.Fault = func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/manifests/sha256:") {
					return false
				}
				mu.Lock()
				defer mu.Unlock()
				inFlight++
				most = max(most, inFlight)
				reached = reached || inFlight >= tc.want
				cond.Broadcast()
				deadline := time.AfterFunc(10*time.Second, cond.Broadcast)
				defer deadline.Stop()
				for start := time.Now(); !reached && time.Since(start) < 10*time.Second; {
					cond.Wait()
				}
				inFlight--
				return false
			}
			c := newClient(t, Options{Jobs: 1, LayerJobs: tc.layerJobs})
			r := c.Copy(context.Background(), []Item{item(src.Ref("team/multi:1"), dst.Ref("mirror/team/multi:1"))})
			requireOK(t, r)
			if most != tc.want {
				t.Errorf("at most %d platform manifests under way at once, want %d", most, tc.want)
			}
		})
	}
}
