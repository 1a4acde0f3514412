// Command containerd-hosts resolves image references the way containerd
// v2 pulls them: its hosts-config loader (core/remotes/docker/config,
// ConfigureHosts) reads a certs.d directory, and its docker resolver
// resolves each reference through the hosts that loader returns. No request
// leaves the process: every client's transport is replaced by one that
// records the URL and answers 404, so the resolver tries each host in turn.
//
// Usage: containerd-hosts CERTS_D REF...
// Output: a JSON array, one entry per reference, with the manifest URLs in
// the order containerd requested them.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/containerd/v2/core/remotes/docker/config"
	"github.com/distribution/reference"
)

type result struct {
	Ref  string   `json:"ref"`
	URLs []string `json:"urls"`
}

// recorder answers every request with 404 and keeps the manifest URLs.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.URL.Path, "/manifests/") {
		r.mu.Lock()
		r.urls = append(r.urls, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
		r.mu.Unlock()
	}
	return &http.Response{
		StatusCode: http.StatusNotFound,
		Status:     "404 Not Found",
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`)),
		Request:    req,
	}, nil
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: containerd-hosts CERTS_D REF...")
		os.Exit(2)
	}
	var results []result
	for _, ref := range os.Args[2:] {
		// The CRI plugin normalizes the kubelet's reference first
		// ("nginx:1" is docker.io/library/nginx:1), as here.
		named, err := reference.ParseDockerRef(ref)
		if err != nil {
			fmt.Fprintf(os.Stderr, "parsing %q: %v\n", ref, err)
			os.Exit(1)
		}
		rec := &recorder{}
		hosts := config.ConfigureHosts(context.Background(), config.HostOptions{
			HostDir: config.HostDirFromRoot(os.Args[1]),
			UpdateClient: func(c *http.Client) error {
				c.Transport = rec
				return nil
			},
		})
		resolver := docker.NewResolver(docker.ResolverOptions{Hosts: hosts})
		// Every host answers 404, so the error is expected; the URLs are the result.
		if _, _, err := resolver.Resolve(context.Background(), named.String()); err == nil {
			fmt.Fprintf(os.Stderr, "resolving %s: a 404 from every host resolved\n", ref)
			os.Exit(1)
		}
		results = append(results, result{Ref: ref, URLs: rec.urls})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
