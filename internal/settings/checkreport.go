package settings

import (
	"encoding/json"
	"io"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/mapper"
)

// checkReport is what check --output json prints: the egress audit's
// report, with "failed" the verdict of the whole check (images or egress)
// and the image check's verdict and offenders beside it, so that CI reading
// the JSON sees the same verdict as the exit code.
type checkReport struct {
	*egress.Report
	Failed       bool         `json:"failed"`
	EgressFailed bool         `json:"egressFailed"`
	Images       imageVerdict `json:"images"`
}

// imageVerdict is the image check's part of the report.
type imageVerdict struct {
	Failed     bool            `json:"failed"`
	References int             `json:"references"`
	Offenders  []imageOffender `json:"offenders"`
	Collisions []string        `json:"collisions,omitempty"`
}

// imageOffender is one reference not on the mirror, a rule destination or
// an allowed registry.
type imageOffender struct {
	Document  int    `json:"document"`
	Line      int    `json:"line"`
	Resource  string `json:"resource"` // "Kind namespace/name"
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Container string `json:"container,omitempty"`
	Field     string `json:"field"`
	Image     string `json:"image"` // as written in the input
	Refused   string `json:"refused,omitempty"`
	// SuggestedRule is the rule that would map it, when no rule does.
	SuggestedRule *mapper.Rule `json:"suggestedRule,omitempty"`
	Hint          string       `json:"hint"`
}

// writeCheckJSON writes the report of a check: images is the engine's
// report (nil when the run stopped before one was made).
func writeCheckJSON(w io.Writer, audit *egress.Report, images *rewrite.Report, m *mapper.Mapper) error {
	out := checkReport{Report: audit, EgressFailed: audit.Failed, Images: imageVerdict{Offenders: []imageOffender{}}}
	if images != nil {
		out.Images.References = images.References
		for _, o := range images.Offenders {
			out.Images.Offenders = append(out.Images.Offenders, offenderOf(o, m))
		}
		for _, c := range images.Collisions {
			out.Images.Collisions = append(out.Images.Collisions, c.String())
		}
	}
	out.Images.Failed = len(out.Images.Offenders) > 0 || len(out.Images.Collisions) > 0
	out.Failed = out.Images.Failed || audit.Failed
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "<your-registry>" as written in the hint
	return enc.Encode(out)
}

func offenderOf(o rewrite.Occurrence, m *mapper.Mapper) imageOffender {
	off := imageOffender{
		Document: o.Document, Line: o.Line, Resource: o.Resource(),
		Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Container: o.Container, Field: o.Field,
		Image: o.Mapping.Source.Written, Refused: o.Refused, Hint: rewrite.Hint(o, m),
	}
	if o.Refused == "" && o.Mapping.Status == mapper.Unmapped {
		rule := m.SuggestRule(o.Mapping.Source)
		off.SuggestedRule = &rule
	}
	return off
}
