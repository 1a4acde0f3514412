package rules

import "strings"

// CompiledRule is a rule as the mapper applies it: the normalized source
// prefix ("docker.io/bitnami", or a bare host "quay.io"), the normalized
// destination prefix, and its position in the config's rules (for
// Config.Origin("rules[N]")).
type CompiledRule struct {
	From, To string
	Index    int
}

// CompiledRules lists the rules in the order the mapper tries them,
// longest source first. Node configuration (package nodeconfig) translates
// them into each container runtime's own mirror format.
func (m *Mapper) CompiledRules() []CompiledRule {
	out := make([]CompiledRule, len(m.rules))
	for i, r := range m.rules {
		out[i] = CompiledRule{From: r.from, To: r.to, Index: r.index}
	}
	return out
}

// PublicRegistryHosts lists the well-known public registries by host name:
// the ones the catch-all mirror stands in for when a node must be told
// about each source by name. Wildcard entries ("*.pkg.dev") and Docker
// Hub's legacy alias index.docker.io (references normalize it to docker.io)
// are left out.
func PublicRegistryHosts() []string {
	var hosts []string
	for _, public := range publicRegistries {
		if !strings.HasPrefix(public, "*") && public != "index.docker.io" {
			hosts = append(hosts, public)
		}
	}
	return hosts
}
