package nodeconfig

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/mapper"
	"go.yaml.in/yaml/v3"
)

// No module on the proxy has the mirror-set types (github.com/openshift/api
// is served only as v3.9.0+incompatible, from before they existed), so the
// sets are checked against their documented fields: config/v1's
// ImageDigestMirrorSet and ImageTagMirrorSet, their kubebuilder patterns,
// the mirrorSourcePolicy enum and mirrors' listType=set.
var (
	// +kubebuilder:validation:Pattern of source.
	sourcePattern = regexp.MustCompile(`^\*(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+$|^((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?)(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$`)
	// +kubebuilder:validation:Pattern of ImageMirror.
	mirrorPattern    = regexp.MustCompile(`^((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?)(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?$`)
	dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// documentedSet has exactly the documented fields; decoding with
// KnownFields refuses any other.
type documentedSet struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		ImageDigestMirrors []documentedMirrors `yaml:"imageDigestMirrors"`
		ImageTagMirrors    []documentedMirrors `yaml:"imageTagMirrors"`
	} `yaml:"spec"`
}

type documentedMirrors struct {
	Source             string   `yaml:"source"`
	Mirrors            []string `yaml:"mirrors"`
	MirrorSourcePolicy string   `yaml:"mirrorSourcePolicy"`
}

// checkMirrorSet validates one set against the documented API.
func checkMirrorSet(data []byte) (*documentedSet, error) {
	var set documentedSet
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&set); err != nil {
		return nil, err
	}
	entries := set.Spec.ImageDigestMirrors
	switch {
	case set.APIVersion != "config.openshift.io/v1":
		return nil, fmt.Errorf("apiVersion %q", set.APIVersion)
	case set.Kind == "ImageDigestMirrorSet" && set.Spec.ImageTagMirrors == nil:
	case set.Kind == "ImageTagMirrorSet" && set.Spec.ImageDigestMirrors == nil:
		entries = set.Spec.ImageTagMirrors
	default:
		return nil, fmt.Errorf("kind %q with the other kind's field", set.Kind)
	}
	if len(set.Metadata.Name) > 253 || !dns1123Subdomain.MatchString(set.Metadata.Name) {
		return nil, fmt.Errorf("metadata.name %q is not a DNS subdomain", set.Metadata.Name)
	}
	for i, e := range entries {
		if err := checkMirrorEntry(e); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return &set, nil
}

func checkMirrorEntry(e documentedMirrors) error {
	if e.Source == "" || !sourcePattern.MatchString(e.Source) {
		return fmt.Errorf("source %q does not match the documented pattern", e.Source)
	}
	seen := map[string]bool{}
	for _, m := range e.Mirrors {
		if !mirrorPattern.MatchString(m) {
			return fmt.Errorf("mirror %q does not match the documented pattern", m)
		}
		if seen[m] {
			return fmt.Errorf("mirror %q twice (listType=set)", m)
		}
		seen[m] = true
	}
	switch e.MirrorSourcePolicy {
	case "", "AllowContactingSource":
	case "NeverContactSource":
		if len(e.Mirrors) == 0 {
			return fmt.Errorf("mirrorSourcePolicy is valid only with mirrors")
		}
	default:
		return fmt.Errorf("mirrorSourcePolicy %q is not NeverContactSource or AllowContactingSource", e.MirrorSourcePolicy)
	}
	return nil
}

// TestMirrorSetCheckRefuses: the documented-field check fails on what the
// API server would refuse, so that TestOpenShiftSets can fail.
func TestMirrorSetCheckRefuses(t *testing.T) {
	base := "apiVersion: config.openshift.io/v1\nkind: ImageDigestMirrorSet\nmetadata: {name: helm-airgap}\nspec:\n  imageDigestMirrors:\n"
	for _, tc := range []struct{ name, entry string }{
		{"upper-case path", "  - {source: docker.io/Bitnami, mirrors: [r.example.com/m], mirrorSourcePolicy: NeverContactSource}\n"},
		{"tag on a mirror", "  - {source: docker.io, mirrors: [r.example.com/m:1], mirrorSourcePolicy: NeverContactSource}\n"},
		{"unknown policy", "  - {source: docker.io, mirrors: [r.example.com/m], mirrorSourcePolicy: Never}\n"},
		{"never without mirrors", "  - {source: docker.io, mirrorSourcePolicy: NeverContactSource}\n"},
		{"mirror twice", "  - {source: docker.io, mirrors: [r.example.com/m, r.example.com/m]}\n"},
		{"unknown field", "  - {source: docker.io, mirrors: [r.example.com/m], blocked: true}\n"},
		{"no source", "  - {mirrors: [r.example.com/m]}\n"},
		{"tag field in a digest set", "  imageTagMirrors: []\n"},
	} {
		doc := base + tc.entry
		if tc.name == "tag field in a digest set" {
			doc = strings.Replace(base, "  imageDigestMirrors:\n", "  imageDigestMirrors: []\n", 1) + tc.entry
		}
		if _, err := checkMirrorSet([]byte(doc)); err == nil {
			t.Errorf("%s: accepted\n%s", tc.name, doc)
		}
	}
	if _, err := checkMirrorSet([]byte(base + "  - {source: docker.io, mirrors: [r.example.com/m], mirrorSourcePolicy: NeverContactSource}\n")); err != nil {
		t.Errorf("a valid set refused: %v", err)
	}
}

// TestOpenShiftSets: for every round-trip case both sets hold only
// documented fields and valid values, and applying them as documented (the
// most specific source wins; its part of the reference is replaced by the
// mirror) gives what the mapper gives, never contacting the source.
func TestOpenShiftSets(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, m := compileCase(t, tc.config)
			opts := tc.opts
			opts.Runtime = "openshift"
			out, err := Generate(cfg, m, opts)
			if err != nil {
				t.Fatalf("OpenShift refused: %v", err)
			}
			if len(out.Files) != 2 {
				t.Fatalf("%d files, want the two sets", len(out.Files))
			}
			refs := append(sourceRefs(t, cfg, m, opts), tc.refs...)
			for _, f := range out.Files {
				set, err := checkMirrorSet(f.Data)
				if err != nil {
					t.Fatalf("%s: %v\n%s", f.Path, err, f.Data)
				}
				entries := append(set.Spec.ImageDigestMirrors, set.Spec.ImageTagMirrors...)
				for _, ref := range refs {
					checkDocumentedMirror(t, m, entries, ref)
				}
			}
		})
	}
}

func checkDocumentedMirror(t *testing.T, m *mapper.Mapper, entries []documentedMirrors, ref string) {
	t.Helper()
	mapping, err := m.Map(ref)
	if err != nil {
		t.Fatal(err)
	}
	repo := mapping.Source.Repository()
	var best *documentedMirrors
	for i, e := range entries {
		if (repo == e.Source || strings.HasPrefix(repo, e.Source+"/")) && (best == nil || len(e.Source) > len(best.Source)) {
			best = &entries[i]
		}
	}
	if best == nil {
		t.Fatalf("%s: no source matches %s", ref, repo)
	}
	got := best.Mirrors[0] + repo[len(best.Source):]
	if got != mapping.DestRepo || best.MirrorSourcePolicy != "NeverContactSource" || len(best.Mirrors) != 1 {
		t.Errorf("%s: the sets send it to %s (%+v); the rewrite to %s", ref, got, *best, mapping.DestRepo)
	}
}

// TestOpenShiftSetsOnTheNode renders the sets into registries.conf the way
// the Machine Config Operator does (one [[registry]] per source, its
// mirrors digest-only for an ImageDigestMirrorSet and tag-only for an
// ImageTagMirrorSet, blocked for NeverContactSource) and has
// containers/image, which CRI-O runs on the node, resolve references by
// digest and by tag.
func TestOpenShiftSetsOnTheNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds containers/image's resolver")
	}
	cfg, m := compileCase(t, "@../testdata/charts/airgap.yaml")
	out, err := Generate(cfg, m, Options{Runtime: "openshift"})
	if err != nil {
		t.Fatal(err)
	}
	digest := "@sha256:" + strings.Repeat("1", 64)
	for _, f := range out.Files {
		set, err := checkMirrorSet(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		entries, pull, suffix := set.Spec.ImageDigestMirrors, "digest-only", digest
		if set.Kind == "ImageTagMirrorSet" {
			entries, pull, suffix = set.Spec.ImageTagMirrors, "tag-only", ":1"
		}
		var conf strings.Builder
		for _, e := range entries {
			fmt.Fprintf(&conf, "[[registry]]\nprefix = %q\nlocation = %q\nblocked = %v\n", e.Source, e.Source, e.MirrorSourcePolicy == "NeverContactSource")
			for _, mirror := range e.Mirrors {
				fmt.Fprintf(&conf, "[[registry.mirror]]\nlocation = %q\npull-from-mirror = %q\n", mirror, pull)
			}
		}
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"registries.conf.d/99-mco.conf": conf.String()})
		var refs []string
		for _, e := range entries {
			refs = append(refs, e.Source+"/app"+suffix)
		}
		got := resolvePodman(t, dir, refs)
		for _, ref := range refs {
			checkResolved(t, m, Options{Runtime: "openshift " + set.Kind, BlockSource: true}, ref, got[ref])
		}
	}
}
