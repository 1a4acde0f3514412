package nodeconfig

import (
	"regexp"
	"strings"
	"testing"
)

func underAny(s string, paths []string) bool {
	for _, p := range paths {
		if s == p || strings.HasPrefix(s, p+"/") {
			return true
		}
	}
	return false
}

func TestNotUnder(t *testing.T) {
	excluded := [][]string{
		nil,
		{"a"},
		{"bitnamilegacy"},
		{"a", "a/b"},
		{"a/b", "ab", "a-b"},
		{"x.y", "x_y/z", "x-y"},
	}
	probes := []string{"", "a", "a/", "a/b", "a/bc", "a/b/c", "ab", "ab/c", "abc", "b", "a-b", "a-b/c", "a-bc",
		"bitnami", "bitnamilegacy", "bitnamilegacyx/r", "bitnamilegacy/redis", "x.y", "xzy", "x.y/z", "x_y", "x_y/z", "x_y/zz/q", "x-y/1"}
	for _, ex := range excluded {
		re := regexp.MustCompile("^" + notUnder(ex) + "$")
		for _, p := range probes {
			if got, want := re.MatchString(p), !underAny(p, ex); got != want {
				t.Errorf("notUnder(%q) matches %q: %v, want %v (%s)", ex, p, got, want, re)
			}
		}
	}
}

// FuzzNotUnder: the expression matches exactly the paths not under any
// excluded one, for any paths.
func FuzzNotUnder(f *testing.F) {
	f.Add("bitnamilegacy", "a/b", "bitnamilegacy/redis")
	f.Add("a", "a-b", "a-b/c")
	f.Fuzz(func(t *testing.T, ex1, ex2, probe string) {
		var ex []string
		for _, e := range []string{ex1, ex2} {
			// excluded paths are repository paths: non-empty, no empty component
			if e != "" && pathChars(e) && !strings.Contains(e, "//") && !strings.HasPrefix(e, "/") && !strings.HasSuffix(e, "/") {
				ex = append(ex, e)
			}
		}
		if !pathChars(probe) {
			return // not a repository path
		}
		re, err := regexp.Compile("^" + notUnder(ex) + "$")
		if err != nil {
			t.Fatalf("notUnder(%q) does not compile: %v", ex, err)
		}
		if got, want := re.MatchString(probe), !underAny(probe, ex); got != want {
			t.Errorf("notUnder(%q) matches %q: %v, want %v", ex, probe, got, want)
		}
	})
}

// TestK3sRewritesAreExclusive applies registries.yaml the way k3s does
// (the host's mirror, then the first rewrite that changes the path, in no
// defined order): for every case k3s accepts, exactly one rewrite matches
// each reference and gives what the mapper gives. The real wharfie run is
// TestRuntimesResolveToTheMapping; this one needs no build.
func TestK3sRewritesAreExclusive(t *testing.T) {
	for _, tc := range roundTripCases {
		cfg, m := compileCase(t, tc.config)
		hosts, err := collectRoutes(cfg, m, tc.opts.Registries)
		if err != nil {
			t.Fatal(err)
		}
		refs := append([]string(nil), tc.refs...)
		mirrors := map[string]k3sMirror{}
		for _, h := range hosts {
			mirror, err := k3sHost(h)
			if err != nil {
				continue // refused: TestRuntimesResolveToTheMapping checks the refusal
			}
			mirrors[h.host] = mirror
			for _, r := range h.routes {
				refs = append(refs, r.source()+"/app:1")
			}
		}
		for _, ref := range refs {
			mapping, err := m.Map(ref)
			if err != nil {
				t.Fatal(err)
			}
			mirror, ok := mirrors[mapping.Source.Domain]
			if !ok {
				continue
			}
			var matched []string
			for pattern, replacement := range mirror.Rewrite {
				re := regexp.MustCompile(pattern)
				if re.MatchString(mapping.Source.Path) {
					matched = append(matched, re.ReplaceAllString(mapping.Source.Path, replacement))
				}
			}
			want := strings.TrimPrefix(mapping.DestRepo, strings.TrimPrefix(mirror.Endpoint[0], "https://")+"/")
			if len(matched) != 1 || matched[0] != want {
				t.Errorf("%s: %s: rewrites give %q; want exactly %q (endpoint %s)", tc.name, ref, matched, want, mirror.Endpoint[0])
			}
		}
	}
}

// pathChars: only the bytes a repository path may hold (distribution/reference).
func pathChars(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789._-/") == ""
}
