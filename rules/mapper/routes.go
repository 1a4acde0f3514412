package mapper

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
