package rules

import "sort"

// Route is one compiled rule: every repository under From (a normalized
// prefix, "docker.io/bitnamilegacy") lands under To.
type Route struct {
	From, To string
}

// Routes are the rules as the mapping applies them, normalized, longest
// source first (the order Map tries them). Generators that express the
// rules in another language (the admission policy) derive from these, so
// they compare repositories exactly as Map does.
func (m *Mapper) Routes() []Route {
	out := make([]Route, len(m.rules))
	for i, r := range m.rules {
		out[i] = Route{From: r.from, To: r.to}
	}
	return out
}

// InternalRegistries are the registry hosts whose images Map leaves as they
// are (the mirror's, every rule destination's, the allowed ones), lower
// case and sorted.
func (m *Mapper) InternalRegistries() []string {
	out := make([]string, 0, len(m.internal))
	for host := range m.internal {
		out = append(out, host)
	}
	sort.Strings(out)
	return out
}
