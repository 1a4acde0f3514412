package rewrite

import (
	"fmt"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
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
			fmt.Fprintf(w, "    hint: %s\n", groupHint(list, m))
		}
	}
	if n := len(r.Collisions); n > 0 {
		fmt.Fprintf(w, "helm-airgap: %d destination collision(s); give one of each pair its own rule:\n", n)
		for _, c := range r.Collisions {
			fmt.Fprintf(w, "    %s\n", c)
		}
	}
}

// groupHint says what would fix a group of offenders from one registry: a
// rule when some match none, or running rewrite when the config already maps
// them all (check on manifests that were never rewritten).
func groupHint(list []Occurrence, m *rules.Mapper) string {
	for _, o := range list {
		if o.Refused != "" {
			return "references that cannot be rewritten exactly: change the chart's values so they are spelt plainly, or acknowledge them with an ignore: entry and a reason"
		}
	}
	for _, o := range list {
		if o.Mapping.Status != rules.Rewritten {
			return m.Hint(o.Mapping.Source)
		}
	}
	first := list[0].Mapping
	return fmt.Sprintf("the config already maps these (%s -> %s); run the manifests through helm-airgap rewrite first", first.Source.Written, first.Dest)
}

// describe is the offender line: "Kind namespace/name: container NAME
// (field path): IMAGE", with the image as it stands in the input.
func (o Occurrence) describe() string {
	line := fmt.Sprintf("%s: %s: %s", o.Resource(), yamlnode.Where(o.Container, o.Field), yamlnode.Printable(o.Mapping.Source.Written))
	if o.Part != "" {
		line += " (" + o.Part + ", joined with image names at run time)"
	}
	if o.Refused != "" {
		line += ": refused: " + o.Refused
	}
	return line
}

// WriteNotes prints what a run accepted without failing: input oddities
// (a key repeated with the same value) and public references acknowledged
// by the config's ignore list.
func WriteNotes(w io.Writer, r *Report) {
	if r == nil {
		return
	}
	for _, warning := range r.Warnings {
		fmt.Fprintf(w, "helm-airgap: warning: %s\n", warning)
	}
	for _, o := range r.Ignored {
		fmt.Fprintf(w, "helm-airgap: ignored as configured: %s\n", o.describe())
	}
}
