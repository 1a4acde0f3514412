package rewrite

import (
	"fmt"
	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"io"
	"sort"

	"github.com/plexicus/helm-airgap/rules/mapper"
)

// WriteReport prints a failed run's offenders, grouped by registry and
// counted, each with the rule that would fix it, and its collisions.
func WriteReport(w io.Writer, r *Report, m *mapper.Mapper) {
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

// notLocked is the refusal of a reference the lock file does not hold.
const notLocked = "it is not in the lock file: mirror it (helm-airgap mirror --lock) before pinning"

// groupHint says what would fix a group of offenders from one registry:
// the hint (Hint) of the cause to fix first.
func groupHint(list []Occurrence, m *mapper.Mapper) string {
	first := list[0]
	for _, o := range list {
		if causeOf(o) > causeOf(first) {
			first = o
		}
	}
	if causeOf(first) == notRewritten {
		return fmt.Sprintf("the config already maps these (%s -> %s); run the manifests through helm-airgap rewrite first", first.Mapping.Source.Written, first.Mapping.Dest)
	}
	return Hint(first, m)
}

// cause is why a reference is an offender, in the order to fix them.
type cause int

const (
	notRewritten cause = iota // mapped, but the input was never rewritten (check)
	unlocked                  // rewritten, but the lock file does not hold it
	unmapped                  // no rule matches and there is no mirror
	refused                   // it cannot be rewritten exactly
)

func causeOf(o Occurrence) cause {
	switch {
	case o.Refused == notLocked:
		return unlocked
	case o.Refused != "":
		return refused
	case o.Mapping.Status != mapper.Rewritten:
		return unmapped
	}
	return notRewritten
}

// Hint says what would fix one offender: plainer values for a reference
// that cannot be rewritten exactly, a rule for one no rule matches,
// mirroring into the lock for one the lock does not hold, or running
// rewrite for one the config already maps (check on manifests never
// rewritten).
func Hint(o Occurrence, m *mapper.Mapper) string {
	switch causeOf(o) {
	case refused:
		return "references that cannot be rewritten exactly: change the chart's values so they are spelt plainly, or acknowledge them with an ignore: entry and a reason"
	case unmapped:
		return m.Hint(o.Mapping.Source)
	case unlocked:
		return "not in the lock file: run helm-airgap resolve --lock (or mirror --lock) over these manifests to record it, or leave lock: out of the config to rewrite without pinning"
	}
	return fmt.Sprintf("the config already maps it (%s -> %s); run the manifests through helm-airgap rewrite first", o.Mapping.Source.Written, o.Mapping.Dest)
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
