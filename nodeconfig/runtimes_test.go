package nodeconfig

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// roundTripCases are the rule kinds: each either round-trips through a
// runtime's format (the runtime's own resolver sends the public name to
// exactly what the mapper rewrites it to) or is refused naming the rule.
var roundTripCases = []struct {
	name   string
	config string
	opts   Options
	refs   []string            // more references to resolve than one under each source
	refuse map[string][]string // runtime -> what its error must name
}{
	{
		name:   "catch-all mirror only",
		config: "mirror: registry.internal.example.com/mirror\n",
		refs: []string{"nginx:1", "docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
			"quay.io/jetstack/cert-manager-controller:v1.15.0", "registry.k8s.io/pause:3.10", "ghcr.io/org/app:2"},
	},
	{
		name:   "the bundled chart's config",
		config: "@../testdata/charts/airgap.yaml",
		refs:   []string{"docker.io/bitnamilegacy/redis:7", "docker.io/bitnamilegacyx/redis:7", "europe-west3-docker.pkg.dev/plexicus-registry/platform/api:1.2.3"},
		refuse: map[string][]string{"containerd": {"rules[0]", "rules[1]", "rules[2]"}},
	},
	{
		name:   "prefix-only rules containerd can express",
		config: "@testdata/containerd-airgap.yaml",
		refs:   []string{"bitnamilegacy/redis:7", "registry.example.org:5000/team/app:1"},
	},
	{
		name: "nested rules, a rename and a whole repository",
		config: `mirror: registry.internal.example.com/mirror
rules:
  - {from: quay.io, to: registry.internal.example.com/quay}
  - {from: quay.io/team, to: registry.internal.example.com/xteam}
  - {from: quay.io/team/sub, to: registry.internal.example.com/y/z}
  - {from: docker.io/library/nginx, to: registry.internal.example.com/web/nginx}
`,
		// (go-containerregistry, in wharfie, wants repositories of two
		// characters or more.)
		refs: []string{"quay.io/team:1", "quay.io/team/sub:1", "quay.io/team/sub/c:1", "quay.io/team/subx:1", "quay.io/teamx/c:1", "quay.io/team-b/c:1",
			"nginx:1", "nginx-unprivileged:1", "library/nginx/sub:1"},
		refuse: map[string][]string{"containerd": {"rules[1]", "rules[2]", "rules[3]"}},
	},
	{
		name: "destinations k3s's image library reads otherwise",
		config: `rules:
  - {from: quay.io/team, to: registry.internal.example.com/x}
  - {from: docker.io/library/nginx, to: registry.internal.example.com/nginx}
`,
		refs:   []string{"quay.io/team:1", "quay.io/team/app:1", "nginx:1"},
		refuse: map[string][]string{"containerd": {"rules[0]", "rules[1]"}, "k3s": {"rules[0]", "rules[1]"}},
	},
	{
		name: "one source host split between two registries",
		config: `mirror: registry.internal.example.com/mirror
rules:
  - {from: docker.io/bitnami, to: harbor.internal.example.com/bitnami}
`,
		refs:   []string{"bitnami/redis:7", "redis:7"},
		refuse: map[string][]string{"containerd": {"rules[0]"}, "k3s": {"rules[0]"}},
	},
	{
		name:   "blocked sources",
		config: "mirror: registry.internal.example.com/mirror\nrules:\n  - {from: docker.io/bitnamilegacy, to: registry.internal.example.com/bitnami}\n",
		opts:   Options{BlockSource: true},
		refs:   []string{"nginx:1", "bitnamilegacy/redis:7"},
		refuse: map[string][]string{"containerd": {"--block-source"}, "k3s": {"--block-source"}},
	},
	{
		name:   "another source registry by flag",
		config: "mirror: registry.internal.example.com/mirror\n",
		opts:   Options{Registries: []string{"registry.example.org:5000"}},
		refs:   []string{"registry.example.org:5000/team/app:1"},
	},
}

var resolvers = map[string]func(t *testing.T, dir string, refs []string) map[string][]resolved{
	"containerd": resolveContainerd,
	"crio":       resolvePodman,
	"k3s":        resolveK3s,
}

// resolved is one place a runtime would pull a reference from, in order.
type resolved struct {
	repo, ref string // repository (host and path) and tag or digest
	mirror    bool   // not the source itself (podman says; elsewhere the first)
	blocked   bool
}

// TestRuntimesResolveToTheMapping generates each format and has the
// runtime's own code (pinned in tools/runtimes/) resolve a reference under
// every source and the cases' own: the first place it pulls from must be
// what rewrite maps the reference to, then only the source itself; or the
// format is refused, naming each rule it cannot express.
func TestRuntimesResolveToTheMapping(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the runtimes' resolvers")
	}
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, m := compileCase(t, tc.config)
			for _, runtime := range []string{"containerd", "crio", "k3s"} {
				t.Run(runtime, func(t *testing.T) {
					opts := tc.opts
					opts.Runtime = runtime
					out, err := Generate(cfg, m, opts)
					if want := tc.refuse[runtime]; len(want) > 0 || err != nil {
						checkRefusal(t, runtime, err, want)
						return
					}
					refs := append(sourceRefs(t, cfg, m, opts), tc.refs...)
					slices.Sort(refs)
					refs = slices.Compact(refs)
					dir := writeOutput(t, out)
					got := resolvers[runtime](t, dir, refs)
					for _, ref := range refs {
						checkResolved(t, m, opts, ref, got[ref])
					}
				})
			}
		})
	}
}

func compileCase(t *testing.T, cfgText string) (*config.Config, *mapper.Mapper) {
	t.Helper()
	var cfg *config.Config
	var err error
	if path, ok := strings.CutPrefix(cfgText, "@"); ok {
		cfg, err = config.LoadFile(path)
	} else {
		cfg, err = config.Parse([]byte(cfgText), "airgap.yaml")
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return cfg, m
}

// checkRefusal: the error names the runtime and every refused rule, and
// nothing else is refused.
func checkRefusal(t *testing.T, runtime string, err error, want []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: generated a configuration; want it refused naming %v", runtime, want)
	}
	msg := err.Error()
	for _, key := range want {
		if !strings.Contains(msg, key) {
			t.Errorf("%s: the refusal does not name %s:\n%s", runtime, key, msg)
		}
	}
	if !strings.Contains(msg, runtime) {
		t.Errorf("the refusal does not name the runtime %s:\n%s", runtime, msg)
	}
	if n := strings.Count(msg, "\n") + 1; len(want) > 0 && n != len(want) {
		t.Errorf("%s: %d refusals, want %d (%v):\n%s", runtime, n, len(want), want, msg)
	}
}

// sourceRefs is a reference under every source the configuration covers.
func sourceRefs(t *testing.T, cfg *config.Config, m *mapper.Mapper, opts Options) []string {
	t.Helper()
	hosts, err := collectRoutes(cfg, m, opts.Registries)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, h := range hosts {
		for _, r := range h.routes {
			refs = append(refs, r.source()+"/app:1")
		}
	}
	return refs
}

func writeOutput(t *testing.T, out *Output) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for _, f := range out.Files {
		files[f.Path] = string(f.Data)
	}
	writeFiles(t, dir, files)
	return dir
}

// checkResolved: the first pull source is the rewrite's destination, the
// only other one the source itself (blocked when asked).
func checkResolved(t *testing.T, m *mapper.Mapper, opts Options, ref string, got []resolved) {
	t.Helper()
	mapping, err := m.Map(ref)
	if err != nil {
		t.Fatal(err)
	}
	if mapping.Status != mapper.Rewritten {
		t.Fatalf("%s: the mapper does not rewrite it (%v); the case is wrong", ref, mapping.Status)
	}
	dest, err := reference.Parse(mapping.Dest)
	if err != nil {
		t.Fatal(err)
	}
	want := []resolved{
		{repo: dest.Repository(), ref: strings.TrimLeft(dest.Suffix, ":@"), mirror: true},
		{repo: mapping.Source.Repository(), ref: strings.TrimLeft(mapping.Source.Suffix, ":@"), blocked: opts.BlockSource},
	}
	if opts.Runtime == "containerd" || opts.Runtime == "k3s" {
		want[1].repo = dockerHubAsDockerIO(want[1].repo) // the request goes to the API host
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: %s resolves to %+v; want %+v (the rewrite: %s)", opts.Runtime, ref, got, want, mapping.Dest)
	}
}

func runTool(t *testing.T, tool string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(testtool.Tool(t, tool), args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// urlResults reads the containerd and k3s drivers' output: the manifest
// URLs requested for each reference, in order.
func urlResults(t *testing.T, data []byte) map[string][]resolved {
	t.Helper()
	var results []struct {
		Ref  string   `json:"ref"`
		URLs []string `json:"urls"`
	}
	if err := json.Unmarshal(data, &results); err != nil {
		t.Fatalf("reading the resolver's output: %v\n%s", err, data)
	}
	out := map[string][]resolved{}
	for _, r := range results {
		for i, u := range r.URLs {
			out[r.Ref] = append(out[r.Ref], fromURL(t, u, i == 0 && len(r.URLs) > 1))
		}
	}
	return out
}

// fromURL turns https://HOST/v2/REPO/manifests/REF into the repository
// and reference, naming Docker Hub's API hosts docker.io as references do.
func fromURL(t *testing.T, u string, mirror bool) resolved {
	t.Helper()
	rest, ok := strings.CutPrefix(u, "https://")
	host, path, _ := strings.Cut(rest, "/")
	repo, ref, found := strings.Cut(strings.TrimPrefix(path, "v2/"), "/manifests/")
	if !ok || !found {
		t.Fatalf("unexpected manifest URL %q", u)
	}
	return resolved{repo: dockerHubAsDockerIO(host + "/" + repo), ref: ref, mirror: mirror}
}

// dockerHubAsDockerIO names Docker Hub's API hosts docker.io, as
// references do, so that a runtime's request to registry-1.docker.io
// compares equal to the source docker.io/library/nginx.
func dockerHubAsDockerIO(repo string) string {
	for _, alias := range []string{"registry-1.docker.io/", "index.docker.io/"} {
		if rest, ok := strings.CutPrefix(repo, alias); ok {
			return "docker.io/" + rest
		}
	}
	return repo
}

func resolveContainerd(t *testing.T, dir string, refs []string) map[string][]resolved {
	return urlResults(t, runTool(t, testtool.ContainerdHosts, append([]string{filepath.Join(dir, "certs.d")}, refs...)...))
}

func resolveK3s(t *testing.T, dir string, refs []string) map[string][]resolved {
	return urlResults(t, runTool(t, testtool.K3sRegistries, append([]string{filepath.Join(dir, K3sFile)}, refs...)...))
}

func resolvePodman(t *testing.T, dir string, refs []string) map[string][]resolved {
	t.Helper()
	main := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(main, nil, 0o644); err != nil { // the node's own, empty here
		t.Fatal(err)
	}
	data := runTool(t, testtool.PodmanRegistries, append([]string{main, filepath.Join(dir, "registries.conf.d")}, refs...)...)
	var results []struct {
		Ref     string `json:"ref"`
		Sources []struct {
			Reference string `json:"reference"`
			Mirror    bool   `json:"mirror"`
			Blocked   bool   `json:"blocked"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(data, &results); err != nil {
		t.Fatalf("reading the resolver's output: %v\n%s", err, data)
	}
	out := map[string][]resolved{}
	for _, r := range results {
		for _, s := range r.Sources {
			parsed, err := reference.Parse(s.Reference)
			if err != nil {
				t.Fatal(err)
			}
			out[r.Ref] = append(out[r.Ref], resolved{repo: parsed.Repository(), ref: strings.TrimLeft(parsed.Suffix, ":@"), mirror: s.Mirror, blocked: s.Blocked})
		}
	}
	return out
}
