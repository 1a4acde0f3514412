package nodeconfig

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
	"go.yaml.in/yaml/v3"
)

// The vocabularies FuzzFormats draws rule sets from: sources that nest,
// share a string prefix without a path boundary and cover whole hosts, and
// destinations that keep, add or rename paths on two registries.
var (
	fuzzSources = []string{"docker.io", "docker.io/bitnami", "docker.io/library/nginx", "quay.io", "quay.io/team",
		"quay.io/team/sub", "quay.io/teamx", "ghcr.io/org", "registry.example.org:5000"}
	fuzzDests = []string{"registry.internal.example.com", "registry.internal.example.com/m", "registry.internal.example.com/m/bitnami",
		"registry.internal.example.com/m/team", "registry.internal.example.com/renamed", "harbor.internal.example.com/x",
		"harbor.internal.example.com/quay/team/sub", "registry.internal.example.com/m/library/nginx"}
	fuzzPaths = []string{"app", "library/nginx", "bitnami/redis", "team/sub/c", "team/subx", "teamx/c", "org/app", "team"}
)

// FuzzFormats: for any rule set, each format either is refused, every line
// of the error naming a rule and the runtime, or sends every reference the
// mapper rewrites to the mapper's destination, read back from the files
// as each runtime documents (the real resolvers confirm those readings in
// TestRuntimesResolveToTheMapping).
func FuzzFormats(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 3})
	f.Add([]byte{3, 0, 4, 6, 5, 4, 0xff})
	f.Add([]byte{1, 4, 7, 7, 0xfe})
	f.Fuzz(func(t *testing.T, picks []byte) {
		cfg, m := fuzzConfig(picks)
		if m == nil {
			return
		}
		for _, runtime := range Runtimes {
			out, err := Generate(cfg, m, Options{Runtime: runtime})
			if err != nil {
				for _, line := range strings.Split(err.Error(), "\n") {
					if !strings.Contains(line, runtime) || !(strings.Contains(line, "rules[") || strings.Contains(line, "mirror")) {
						t.Fatalf("%s: a refusal line names no rule or not the runtime: %q", runtime, line)
					}
				}
				continue
			}
			read := documentedReaders[runtime](t, out)
			for _, src := range fuzzSources {
				for _, p := range fuzzPaths {
					checkReading(t, m, runtime, src+"/"+p+":1", read, namedHosts(m))
				}
			}
		}
	})
}

func fuzzConfig(picks []byte) (*config.Config, *mapper.Mapper) {
	var b strings.Builder
	if len(picks)%2 == 1 && picks[len(picks)-1] >= 0x80 {
		b.WriteString("mirror: registry.internal.example.com/m\n")
	}
	b.WriteString("rules:\n")
	for i := 0; i+1 < len(picks) && i < 12; i += 2 {
		fmt.Fprintf(&b, "  - {from: %q, to: %q}\n", fuzzSources[int(picks[i])%len(fuzzSources)], fuzzDests[int(picks[i+1])%len(fuzzDests)])
	}
	cfg, err := config.Parse([]byte(b.String()), "airgap.yaml")
	if err != nil {
		return nil, nil
	}
	m, err := cfg.Compile()
	if err != nil || len(cfg.Rules) == 0 && cfg.Mirror == "" {
		return nil, nil // duplicate sources and the like; nothing to generate
	}
	return cfg, m
}

// reading maps a source repository to the destination repository a
// runtime would pull it from, or "" when the files do not redirect it.
type reading func(repo string) string

var documentedReaders = map[string]func(*testing.T, *Output) reading{
	"containerd": readContainerd,
	"crio":       readCRIO,
	"k3s":        readK3s,
	"openshift":  readOpenShift,
}

// namedHosts are the sources a node configuration names: the public
// registries and the rules' hosts (others need --registry).
func namedHosts(m *mapper.Mapper) map[string]bool {
	hosts := map[string]bool{}
	for _, h := range reference.PublicRegistryHosts() {
		hosts[h] = true
	}
	for _, r := range m.CompiledRules() {
		h, _, _ := strings.Cut(r.From, "/")
		hosts[h] = true
	}
	return hosts
}

func checkReading(t *testing.T, m *mapper.Mapper, runtime, ref string, read reading, named map[string]bool) {
	t.Helper()
	mapping, err := m.Map(ref)
	if err != nil || mapping.Status != mapper.Rewritten || !named[mapping.Source.Domain] {
		return
	}
	if got := read(mapping.Source.Repository()); got != mapping.DestRepo {
		t.Fatalf("%s sends %s to %q; the rewrite to %s", runtime, ref, got, mapping.DestRepo)
	}
}

var containerdHostLine = regexp.MustCompile(`(?m)^\[host\."https://([^/"]+)(?:/v2/([^"]+))?"\]$`)

// readContainerd: the host's hosts.toml, its one mirror, the path kept
// under the mirror's prefix.
func readContainerd(t *testing.T, out *Output) reading {
	files := map[string]string{}
	for _, f := range out.Files {
		files[f.Path] = string(f.Data)
	}
	return func(repo string) string {
		host, path, _ := strings.Cut(repo, "/")
		match := containerdHostLine.FindStringSubmatch(files["certs.d/"+containerdDir(host)+"/hosts.toml"])
		if match == nil {
			return ""
		}
		if match[2] == "" {
			return match[1] + "/" + path
		}
		return match[1] + "/" + match[2] + "/" + path
	}
}

// readCRIO: the longest matching prefix, replaced by its mirror.
func readCRIO(t *testing.T, out *Output) reading {
	var conf struct {
		Registry []struct {
			Prefix string
			Mirror []struct{ Location string }
		}
	}
	if _, err := toml.Decode(string(out.Files[0].Data), &conf); err != nil {
		t.Fatal(err)
	}
	var entries []documentedMirrors
	for _, r := range conf.Registry {
		entries = append(entries, documentedMirrors{Source: r.Prefix, Mirrors: []string{r.Mirror[0].Location}})
	}
	return longestSource(entries)
}

func readOpenShift(t *testing.T, out *Output) reading {
	set, err := checkMirrorSet(out.Files[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	return longestSource(set.Spec.ImageDigestMirrors)
}

func longestSource(entries []documentedMirrors) reading {
	return func(repo string) string {
		best := -1
		for i, e := range entries {
			if (repo == e.Source || strings.HasPrefix(repo, e.Source+"/")) && (best < 0 || len(e.Source) > len(entries[best].Source)) {
				best = i
			}
		}
		if best < 0 {
			return ""
		}
		return entries[best].Mirrors[0] + repo[len(entries[best].Source):]
	}
}

// readK3s: the host's mirror, and the one rewrite that matches (more than
// one would leave the choice to map order).
func readK3s(t *testing.T, out *Output) reading {
	var file k3sRegistries
	if err := yaml.Unmarshal(out.Files[0].Data, &file); err != nil {
		t.Fatal(err)
	}
	return func(repo string) string {
		host, path, _ := strings.Cut(repo, "/")
		mirror, ok := file.Mirrors[host]
		if !ok {
			return ""
		}
		var results []string
		for pattern, replacement := range mirror.Rewrite {
			if re := regexp.MustCompile(pattern); re.MatchString(path) {
				results = append(results, re.ReplaceAllString(path, replacement))
			}
		}
		if len(results) != 1 {
			return fmt.Sprintf("%d rewrites match: %q", len(results), results)
		}
		return strings.TrimPrefix(mirror.Endpoint[0], "https://") + "/" + results[0]
	}
}
