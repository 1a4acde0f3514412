package mirror

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// layered builds an image of the given layers and pushes it to r.
func layered(t *testing.T, r *registrytest.Registry, repoAndTag string, layers ...v1.Layer) (img v1.Image, blobBytes int64) {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	r.Push(t, repoAndTag, img)
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	blobBytes = int64(len(cfg))
	for _, l := range layers {
		size, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		blobBytes += size
	}
	return img, blobBytes
}

func randomLayer(t *testing.T, size int64) (v1.Layer, int64) {
	t.Helper()
	l, err := random.Layer(size, types.OCILayer)
	if err != nil {
		t.Fatal(err)
	}
	n, err := l.Size()
	if err != nil {
		t.Fatal(err)
	}
	return l, n
}

// uploads counts the blob uploads (the PUT that commits one) and the
// mounts (an upload started, POST, with nothing sent after it) among a
// registry's requests.
func uploads(reqs []string) (uploaded, mounted int) {
	started := 0
	for _, r := range reqs {
		if !strings.Contains(r, "/blobs/uploads/") {
			continue
		}
		switch {
		case strings.HasPrefix(r, "POST "):
			started++
		case strings.HasPrefix(r, "PUT "):
			uploaded++
		}
	}
	return uploaded, started - uploaded
}

// TestSharedBlobsGoOncePerRun is issue 21 item 2 on the distribution
// registry (which mounts across repositories): a base layer shared by two
// images of one repository and one of another is sent once in a run,
// mounted into the other repository, and the run's summary says so; a
// second run counts every byte as skipped, and a new image of a new
// repository mounts the base from where the destination already has it.
func TestSharedBlobsGoOncePerRun(t *testing.T) {
	src, dst := registrytest.NewDistribution(t), registrytest.NewDistribution(t)
	registrytest.Login(t, src, dst)
	base, baseSize := randomLayer(t, 64<<10)
	var own int64 // the blobs of each image but the base: its own layer and config
	var items []Item
	for _, ref := range []string{"team/a:1", "team/a:2", "team/b:1"} {
		l, _ := randomLayer(t, 16<<10)
		_, n := layered(t, src, ref, base, l)
		own += n - baseSize
		items = append(items, item(src.Ref(ref), dst.Ref("mirror/"+ref)))
	}
	dst.Requests()
	first := newClient(t, Options{Jobs: 3}).Copy(context.Background(), items)
	requireOK(t, first)
	up, mounted := uploads(dst.Requests())
	if up != 7 || mounted != 1 {
		t.Errorf("the destination got %d blob uploads and %d mounts, want 7 (the base once, 3 layers, 3 configs) and 1 (the base)", up, mounted)
	}
	want := Transfer{Moved: baseSize + own, Mounted: baseSize, Shared: baseSize}
	if got := first.Blobs; got.Moved != want.Moved || got.Present != 0 || got.Mounted != want.Mounted || got.Shared != want.Shared {
		t.Errorf("first run: %+v, want %+v", got, want)
	}

	// The next run: all three are there, and a fourth image, of a new
	// repository, shares the base (one image at a time, so the base is
	// known to be there before the fourth is written).
	l, _ := randomLayer(t, 16<<10)
	_, n := layered(t, src, "team/c:1", base, l)
	items = append(items, item(src.Ref("team/c:1"), dst.Ref("mirror/team/c:1")))
	dst.Requests()
	second := newClient(t, Options{Jobs: 1}).Copy(context.Background(), items)
	requireOK(t, second)
	if got := outcomes(second); got[3] != Copied || got[0] != Present {
		t.Fatalf("second run outcomes %v", got)
	}
	if up, mounted := uploads(dst.Requests()); up != 2 || mounted != 1 {
		t.Errorf("second run: %d uploads and %d mounts, want 2 (team/c's layer and config) and 1 (the base)", up, mounted)
	}
	want = Transfer{Moved: n - baseSize, Present: first.Blobs.Moved + first.Blobs.Mounted, Mounted: baseSize, Shared: baseSize}
	if got := second.Blobs; got.Moved != want.Moved || got.Present != want.Present || got.Mounted != want.Mounted || got.Shared != want.Shared {
		t.Errorf("second run: %+v, want %+v", got, want)
	}
	if got, all := second.Blobs.Skipped(), first.Blobs.Moved+first.Blobs.Skipped()+baseSize; got != all {
		t.Errorf("second run skipped %d bytes, want every byte of the first run's images and the base of the new one (%d)", got, all)
	}
}

// TestCopyWithinARegistryMounts: with the source and the destination on
// one registry every blob is mounted from the source repository, none sent.
func TestCopyWithinARegistryMounts(t *testing.T) {
	reg := registrytest.NewDistribution(t)
	registrytest.Login(t, reg)
	l, _ := randomLayer(t, 32<<10)
	_, size := layered(t, reg, "team/a:1", l)
	reg.Requests()
	r := newClient(t, Options{}).Copy(context.Background(), []Item{item(reg.Ref("team/a:1"), reg.Ref("mirror/team/a:1"))})
	requireOK(t, r)
	if up, mounted := uploads(reg.Requests()); up != 0 || mounted != 2 {
		t.Errorf("%d uploads and %d mounts, want none and 2 (the layer and the config)", up, mounted)
	}
	if got := r.Blobs; got.Moved != 0 || got.Mounted != size {
		t.Errorf("%+v, want %d bytes mounted and none sent", got, size)
	}
}

// TestLayersOfAnImageGoLayerJobsAtOnce: the in-memory registry holds every
// blob upload until two are under way (or a second passes), and counts the
// most at once: LayerJobs of them, never more.
func TestLayersOfAnImageGoLayerJobsAtOnce(t *testing.T) {
	src, dst := registrytest.New(t), registrytest.New(t)
	var layers []v1.Layer
	for range 6 {
		l, _ := randomLayer(t, 4<<10)
		layers = append(layers, l)
	}
	layered(t, src, "team/wide:1", layers...)
	var mu sync.Mutex
	var now, most int
	reached := make(chan struct{})
	dst.Fault = func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPatch {
			return false
		}
		mu.Lock()
		now++
		if now > most {
			most = now
			if most == 2 {
				close(reached)
			}
		}
		mu.Unlock()
		select {
		case <-reached:
		case <-time.After(time.Second): // not a timing assertion: without concurrency most stays 1
		}
		mu.Lock()
		now--
		mu.Unlock()
		return false
	}
	r := newClient(t, Options{Jobs: 1, LayerJobs: 2}).Copy(context.Background(), []Item{item(src.Ref("team/wide:1"), dst.Ref("mirror/team/wide:1"))})
	requireOK(t, r)
	mu.Lock()
	defer mu.Unlock()
	if most != 2 {
		t.Errorf("at most %d blobs were uploaded at once, want LayerJobs (2)", most)
	}
}
