package rewrite

import (
	"fmt"
	"io"
	"sort"

	"github.com/plexicus/helm-airgap/rules"
)

// WriteReport prints a failed run's offenders, grouped by registry and
// counted, each with the rule that would fix it, and its collisions.
func WriteReport(w io.Writer, r *Report, m *rules.Mapper) {
	if n := len(r.Offenders); n > 0 {
		fmt.Fprintf(w, "helm-airgap: %d image reference(s) still point at a registry that is not the mirror, a rule destination or allowed:\n", n)
		groups := map[string][]Occurrence{}
		var domains []string
		for _, o := range r.Offenders {
			d := o.Mapping.Source.Domain
			if _, ok := groups[d]; !ok {
				domains = append(domains, d)
			}
			groups[d] = append(groups[d], o)
		}
		sort.Strings(domains)
		for _, d := range domains {
			list := groups[d]
			fmt.Fprintf(w, "\n  %s (%d):\n", d, len(list))
			for _, o := range list {
				fmt.Fprintf(w, "    %s\n", o.describe())
			}
			fmt.Fprintf(w, "    hint: %s\n", m.Hint(list[0].Mapping.Source))
		}
	}
	if n := len(r.Collisions); n > 0 {
		fmt.Fprintf(w, "helm-airgap: %d destination collision(s); give one of each pair its own rule:\n", n)
		for _, c := range r.Collisions {
			fmt.Fprintf(w, "    %s\n", c)
		}
	}
}

// describe is the offender line: "Kind namespace/name: container NAME
// (field path): IMAGE".
func (o Occurrence) describe() string {
	where := "(" + o.Field + ")"
	if o.Container != "" {
		where = "container " + o.Container + " " + where
	}
	return fmt.Sprintf("%s: %s: %s", o.Resource(), where, o.Image())
}
