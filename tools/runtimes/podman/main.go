// Command podman-registries resolves image references the way CRI-O and
// Podman pull them: go.podman.io/image/v5's sysregistriesv2 reads a
// registries.conf and its registries.conf.d drop-ins, finds the [[registry]]
// for each reference and lists its pull sources in the order they are tried.
// For each source it also reports whether that registry is blocked (the
// image library refuses to contact a source whose own entry is blocked).
//
// Usage: podman-registries REGISTRIES_CONF REGISTRIES_CONF_D REF...
// Output: a JSON array, one entry per reference.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/pkg/sysregistriesv2"
	"go.podman.io/image/v5/types"
)

type source struct {
	Reference string `json:"reference"`
	Mirror    bool   `json:"mirror"`
	Blocked   bool   `json:"blocked"`
}

type result struct {
	Ref     string   `json:"ref"`
	Prefix  string   `json:"prefix"`
	Sources []source `json:"sources"`
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: podman-registries REGISTRIES_CONF REGISTRIES_CONF_D REF...")
		os.Exit(2)
	}
	sys := &types.SystemContext{SystemRegistriesConfPath: os.Args[1], SystemRegistriesConfDirPath: os.Args[2]}
	if _, err := sysregistriesv2.GetRegistries(sys); err != nil {
		fail(fmt.Errorf("loading %s and %s: %w", os.Args[1], os.Args[2], err))
	}
	var results []result
	for _, ref := range os.Args[3:] {
		r, err := resolve(sys, ref)
		if err != nil {
			fail(err)
		}
		results = append(results, r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
		fail(err)
	}
}

func resolve(sys *types.SystemContext, ref string) (result, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return result{}, fmt.Errorf("parsing %q: %w", ref, err)
	}
	out := result{Ref: ref}
	reg, err := sysregistriesv2.FindRegistry(sys, named.String())
	if err != nil {
		return result{}, fmt.Errorf("finding the registry of %q: %w", ref, err)
	}
	if reg == nil {
		return out, nil // no entry: pulled from the source as named
	}
	out.Prefix = reg.Prefix
	sources, err := reg.PullSourcesFromReference(named)
	if err != nil {
		return result{}, fmt.Errorf("pull sources of %q: %w", ref, err)
	}
	for _, s := range sources {
		own, err := sysregistriesv2.FindRegistry(sys, s.Reference.String())
		if err != nil {
			return result{}, fmt.Errorf("finding the registry of %q: %w", s.Reference, err)
		}
		out.Sources = append(out.Sources, source{
			Reference: s.Reference.String(),
			Mirror:    s.Endpoint.Location != reg.Location,
			Blocked:   own != nil && own.Blocked,
		})
	}
	return out, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
