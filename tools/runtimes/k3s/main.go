// Command k3s-registries resolves image references the way k3s and RKE2
// pull them: github.com/rancher/wharfie's registries package (the code k3s
// and RKE2 use for registries.yaml) loads the file and pulls each reference
// through its endpoints, applying the mirror's rewrite rules.
//
// wharfie's endpoint and rewrite logic is unexported, so it is run for real:
// HTTPS_PROXY points at a proxy on loopback that terminates TLS with a
// throw-away CA (trusted through SSL_CERT_FILE), records each manifest
// request's host and path, and answers 404, so wharfie tries every endpoint
// in turn and nothing leaves the machine.
//
// Usage: k3s-registries REGISTRIES_YAML REF...
// Output: a JSON array, one entry per reference, with the manifest URLs in
// the order wharfie requested them.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/rancher/wharfie/pkg/registries"
	"github.com/sirupsen/logrus"
)

type result struct {
	Ref  string   `json:"ref"`
	URLs []string `json:"urls"`
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: k3s-registries REGISTRIES_YAML REF...")
		os.Exit(2)
	}
	logrus.SetLevel(logrus.ErrorLevel)
	proxy, err := startProxy()
	if err != nil {
		fail(fmt.Errorf("starting the recording proxy: %w", err))
	}
	defer proxy.close()
	reg, err := registries.GetPrivateRegistries(os.Args[1])
	if err != nil {
		fail(fmt.Errorf("loading %s: %w", os.Args[1], err))
	}
	var results []result
	for _, ref := range os.Args[2:] {
		parsed, err := name.ParseReference(ref)
		if err != nil {
			fail(fmt.Errorf("parsing %q: %w", ref, err))
		}
		proxy.reset()
		// Every endpoint answers 404, so the error is expected; the URLs are the result.
		if _, err := reg.Image(parsed); err == nil {
			fail(fmt.Errorf("pulling %s: a 404 from every endpoint succeeded", ref))
		}
		results = append(results, result{Ref: ref, URLs: proxy.manifestURLs()})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
