package nodeconfig

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
	"github.com/plexicus/helm-airgap/rules/reference"
)

// Runtimes are the formats Generate writes, by their --runtime name.
var Runtimes = []string{"containerd", "crio", "k3s", "openshift"}

// Options say what to generate.
type Options struct {
	Runtime string
	// BlockSource also refuses pulls from each source registry itself, so a
	// missing mirror image fails instead of being fetched from the internet.
	BlockSource bool
	// Registries are more source hosts the catch-all mirror stands for,
	// beyond the well-known public ones and the hosts the rules name.
	Registries []string
	// Name is the OpenShift objects' metadata.name.
	Name string
}

// File is one generated file, its path relative to the output directory.
type File struct {
	Path string
	Data []byte
}

// Output is what Generate made: the files and notes for the user (where
// the runtime reads credentials, what the configuration does not do).
type Output struct {
	Files []File
	Notes []string
	// Stream says whether the files may be written one after another to
	// stdout (one TOML or YAML stream) instead of into a directory.
	Stream bool
}

// Generate writes the runtime's mirror configuration for every source the
// rules cover. Rules the format cannot express are errors, all reported.
func Generate(cfg *config.Config, m *mapper.Mapper, opts Options) (*Output, error) {
	hosts, err := collectRoutes(cfg, m, opts.Registries)
	if err != nil {
		return nil, err
	}
	if len(hosts) == 0 {
		return nil, errors.New("generating node configuration: the config has no rules and no mirror, so no source registry is covered")
	}
	var out *Output
	switch opts.Runtime {
	case "containerd":
		out, err = containerd(hosts, opts)
	case "crio":
		out, err = crio(hosts, opts)
	case "k3s":
		out, err = k3s(hosts, opts)
	case "openshift":
		out, err = openshift(hosts, opts)
	default:
		return nil, fmt.Errorf("unknown runtime %q (want one of %s)", opts.Runtime, strings.Join(Runtimes, ", "))
	}
	if err != nil {
		return nil, err
	}
	if cfg.Lock != "" {
		out.Notes = append(out.Notes, "the lock file pins digests in the rewritten manifests only: node configuration redirects names and keeps the tag or digest each pod asks for")
	}
	return out, nil
}

// route is one source prefix and where the rules send it.
type route struct {
	key    string // "rules[2]" or "mirror"
	origin string // "airgap.yaml:7", "--rule ...", or ""
	host   string // source registry host
	path   string // repository path under host; "" for the whole host
	dest   string // normalized destination prefix
}

func (r route) source() string {
	if r.path == "" {
		return r.host
	}
	return r.host + "/" + r.path
}

func (r route) destHost() string { h, _, _ := strings.Cut(r.dest, "/"); return h }
func (r route) destPath() string { _, p, _ := strings.Cut(r.dest, "/"); return p }

// String names the rule for messages: where it is, what it maps.
func (r route) String() string {
	where := r.key
	if r.origin != "" {
		where = r.origin + ": " + r.key
	}
	if r.key == "mirror" {
		return fmt.Sprintf("%s (the catch-all, for %s) -> %s", where, r.source(), r.dest)
	}
	return fmt.Sprintf("%s %s -> %s", where, r.source(), r.dest)
}

// hostRoutes are the routes of one source host, longest path first (the
// order the mapper tries them).
type hostRoutes struct {
	host   string
	routes []route
}

// widest is the route that covers the most of the host.
func (h hostRoutes) widest() route { return h.routes[len(h.routes)-1] }

// collectRoutes groups the rules by source host and adds the catch-all
// mirror for every known source host that no rule covers whole.
func collectRoutes(cfg *config.Config, m *mapper.Mapper, extra []string) ([]hostRoutes, error) {
	byHost := map[string][]route{}
	for _, r := range m.CompiledRules() {
		key := fmt.Sprintf("rules[%d]", r.Index)
		host, path, _ := strings.Cut(r.From, "/")
		byHost[host] = append(byHost[host], route{key: key, origin: cfg.Origin(key), host: host, path: path, dest: r.To})
	}
	var errs []error
	candidates := append([]string(nil), reference.PublicRegistryHosts()...)
	for _, host := range extra {
		h := strings.ToLower(host)
		// A host is what a reference under it names as its registry.
		ref, err := reference.Parse(h + "/image")
		switch {
		case strings.Contains(h, "/") || err != nil || ref.Domain != h:
			errs = append(errs, fmt.Errorf("--registry %q: want a registry host name (with a dot or a port, or localhost; Docker Hub is docker.io)", host))
		case m.IsInternal(h):
			errs = append(errs, fmt.Errorf("--registry %q: it is an internal registry (the mirror, a rule destination or allowed), not a source", host))
		case m.Mirror() == "" && byHost[h] == nil:
			errs = append(errs, fmt.Errorf("--registry %q: no rule covers it and the config has no mirror", host))
		}
		candidates = append(candidates, h)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if m.Mirror() != "" {
		for host := range byHost {
			candidates = append(candidates, host)
		}
		seen := map[string]bool{}
		for _, host := range candidates {
			if !seen[host] && !m.IsInternal(host) && !coversHost(byHost[host]) {
				seen[host] = true
				byHost[host] = append(byHost[host], route{key: "mirror", origin: cfg.Origin("mirror"), host: host, dest: m.Mirror()})
			}
		}
	}
	return sortRoutes(byHost), nil
}

func coversHost(routes []route) bool {
	for _, r := range routes {
		if r.path == "" {
			return true
		}
	}
	return false
}

func sortRoutes(byHost map[string][]route) []hostRoutes {
	var out []hostRoutes
	for host, routes := range byHost {
		sort.SliceStable(routes, func(i, j int) bool {
			if len(routes[i].path) != len(routes[j].path) {
				return len(routes[i].path) > len(routes[j].path)
			}
			return routes[i].path < routes[j].path
		})
		out = append(out, hostRoutes{host: host, routes: routes})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].host < out[j].host })
	return out
}

// refusal is a rule a runtime's format cannot express.
func refusal(r route, runtime, format string, args ...any) error {
	return fmt.Errorf("%s: %s cannot express this rule: %s", r, runtime, fmt.Sprintf(format, args...))
}
