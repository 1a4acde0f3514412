package mapper

import "sort"

// InternalRegistries are the registry hosts whose images Map leaves as they
// are (the mirror's, every rule destination's, the allowed ones), lower
// case and sorted. The admission policy (package admission) admits exactly
// these, so the cluster and the rewrite agree on what is internal.
func (m *Mapper) InternalRegistries() []string {
	out := make([]string, 0, len(m.internal))
	for host := range m.internal {
		out = append(out, host)
	}
	sort.Strings(out)
	return out
}
