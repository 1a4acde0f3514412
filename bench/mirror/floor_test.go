//go:build benchmirror

package mirror

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/registrytest"
)

// registryFloor moves every layer and config blob of src into dst and
// nothing else: a GET from the source streamed into a monolithic PUT,
// jobs at a time, in-process, no manifests, no checks of its own. Both
// registries still terminate TLS, check the password, hash and store each
// blob; no registry-to-registry copy through them can cost less, so it is
// the floor a client is measured against, beside the bare socket's.
func (b *bench) registryFloor(t *testing.T, src, dst *registrytest.Registry) measure {
	blobs, err := linkedBlobs(src.Storage)
	if err != nil {
		return measure{err: err}
	}
	client := &http.Client{Transport: registrytest.Transport(t)}
	work := make(chan blobLink)
	errs := make(chan error, len(blobs))
	var wg sync.WaitGroup
	start := time.Now()
	for range b.jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bl := range work {
				errs <- copyBlob(client, src, dst, bl)
			}
		}()
	}
	for _, bl := range blobs {
		work <- bl
	}
	close(work)
	wg.Wait()
	m := measure{wall: time.Since(start), bytes: du(dst.Storage)}
	close(errs)
	for err := range errs {
		if err != nil && m.err == nil {
			m.err = err
		}
	}
	return m
}

// blobLink is a blob and one repository that holds it.
type blobLink struct{ repo, digest string }

// linkedBlobs reads a distribution registry's storage for each layer and
// config blob (repositories/REPO/_layers/sha256/HEX/link) once, with the
// first repository that links it: a blob is served only through a
// repository holding it.
func linkedBlobs(storage string) ([]blobLink, error) {
	repos := filepath.Join(storage, "docker", "registry", "v2", "repositories")
	seen := map[string]bool{}
	var blobs []blobLink
	err := filepath.WalkDir(repos, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "link" {
			return err
		}
		rel, _ := filepath.Rel(repos, p)
		repo, layer, ok := strings.Cut(filepath.ToSlash(rel), "/_layers/sha256/")
		if !ok {
			return nil
		}
		digest := "sha256:" + path.Dir(layer)
		if !seen[digest] {
			seen[digest] = true
			blobs = append(blobs, blobLink{repo, digest})
		}
		return nil
	})
	if err == nil && len(blobs) == 0 {
		err = fmt.Errorf("no blobs linked under %s", repos)
	}
	return blobs, err
}

// copyBlob streams one blob from src's repository into the same
// repository at dst: GET, then POST an upload and PUT the body with its
// digest.
func copyBlob(client *http.Client, src, dst *registrytest.Registry, bl blobLink) error {
	get := request(src, http.MethodGet, "https://"+src.Host+"/v2/"+bl.repo+"/blobs/"+bl.digest, nil)
	body, err := send(client, get, http.StatusOK)
	if err != nil {
		return err
	}
	defer body.Body.Close()
	post := request(dst, http.MethodPost, "https://"+dst.Host+"/v2/"+bl.repo+"/blobs/uploads/", nil)
	started, err := send(client, post, http.StatusAccepted)
	if err != nil {
		return err
	}
	started.Body.Close()
	loc, err := started.Location()
	if err != nil {
		return fmt.Errorf("upload of %s: %w", bl.digest, err)
	}
	q := loc.Query()
	q.Set("digest", bl.digest)
	loc.RawQuery = q.Encode()
	put := request(dst, http.MethodPut, loc.String(), body.Body)
	put.ContentLength = body.ContentLength
	put.Header.Set("Content-Type", "application/octet-stream")
	done, err := send(client, put, http.StatusCreated)
	if err != nil {
		return err
	}
	return done.Body.Close()
}

func request(r *registrytest.Registry, method, url string, body io.Reader) *http.Request {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		panic(err) // the URLs are built here from a host and digests
	}
	req.SetBasicAuth(r.Username, r.Password)
	return req
}

// send does req and wants the status want.
func send(client *http.Client, req *http.Request, want int) (*http.Response, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, msg)
	}
	return resp, nil
}
