package mirror

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// ParsePlatforms parses --platform's "os/arch[/variant][,...]".
func ParsePlatforms(s string) ([]v1.Platform, error) {
	var out []v1.Platform
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := v1.ParsePlatform(part)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("invalid platform %q: want os/arch[/variant], such as linux/amd64", part)
		}
		out = append(out, *p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("invalid platform list %q: want os/arch[,os/arch...]", s)
	}
	return out, nil
}

// filterIndex keeps the platform manifests of idx that one of want
// satisfies, with the attestation manifests (buildx's unknown/unknown
// entries) that describe a kept one. An index left with no platform is an
// error naming the ones it has.
func filterIndex(idx v1.ImageIndex, want []v1.Platform) (v1.ImageIndex, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	var have []string
	for _, d := range im.Manifests {
		if d.Platform == nil {
			continue
		}
		have = append(have, d.Platform.String())
		for _, p := range want {
			if d.Platform.Satisfies(p) {
				kept[d.Digest.String()] = true
			}
		}
	}
	if len(kept) == 0 {
		return nil, permanent{fmt.Errorf("none of the platforms asked for is in the index (it has %s)", strings.Join(have, ", "))}
	}
	if len(kept) == len(im.Manifests) {
		return idx, nil
	}
	drop := func(d v1.Descriptor) bool {
		if kept[d.Digest.String()] {
			return false
		}
		if of := d.Annotations["vnd.docker.reference.digest"]; of != "" && kept[of] {
			return false
		}
		return true
	}
	return mutate.RemoveManifests(idx, drop), nil
}
