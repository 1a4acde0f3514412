package egress

import (
	"errors"
	"fmt"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"
	"github.com/plexicus/helm-airgap/rules/detect"
)

// AllowRule exempts endpoints from the report. Every attribute that is set
// must match; "*" in any of them matches any run of characters.
//
//   - Host matches the endpoint's host, case-insensitively ("*.corp.example.com").
//   - Kind, Namespace and Name match the resource holding the value.
//   - Field matches the field path, or a parent of it
//     ("spec.template.spec.containers[web].env[OPENAI_API_BASE]").
//
// A rule naming only a resource (no Host, no Field) exempts the whole
// resource: its endpoints, and its egress from the NetworkPolicy check.
type AllowRule struct {
	Host      string
	Kind      string
	Namespace string
	Name      string
	Field     string
}

type allowMatcher struct {
	rule     AllowRule
	resource bool // names only a resource
}

func compileAllow(r AllowRule) (allowMatcher, error) {
	if err := ValidateAllow(r); err != nil {
		return allowMatcher{}, err
	}
	r.Host = strings.ToLower(strings.TrimSuffix(r.Host, "."))
	return allowMatcher{rule: r, resource: r.Host == "" && r.Field == ""}, nil
}

// ValidateAllow checks a rule: it must name something, and a host pattern
// must look like a host name.
func ValidateAllow(r AllowRule) error {
	if r.Host == "" && r.Kind == "" && r.Namespace == "" && r.Name == "" && r.Field == "" {
		return errors.New("an allow rule needs at least one of host, kind, namespace, name, field")
	}
	if r.Host != "" {
		h := strings.ToLower(strings.TrimSuffix(r.Host, "."))
		if !validHost(strings.ReplaceAll(strings.ReplaceAll(h, "*.", ""), "*", "x")) && h != "*" {
			return fmt.Errorf("invalid host pattern %q: want a host name or address, \"*\" matching any part", r.Host)
		}
	}
	return nil
}

func (m allowMatcher) matchResource(res yamlnode.Resource) bool {
	r := m.rule
	return (r.Kind == "" || detect.Glob(r.Kind, res.Kind)) &&
		(r.Namespace == "" || detect.Glob(r.Namespace, res.Namespace)) &&
		(r.Name == "" || detect.Glob(r.Name, res.Name))
}

// allowed reports whether an endpoint at res/field on host is exempt.
func (a *Auditor) allowed(host string, res yamlnode.Resource, field string) bool {
	for _, m := range a.allow {
		r := m.rule
		if !m.matchResource(res) {
			continue
		}
		if r.Host != "" && !detect.Glob(r.Host, host) {
			continue
		}
		if r.Field != "" && !detect.MatchField(r.Field, field) {
			continue
		}
		return true
	}
	return false
}

// allowedResource reports whether a rule exempts a whole resource.
func (a *Auditor) allowedResource(res yamlnode.Resource) bool {
	for _, m := range a.allow {
		if m.resource && m.matchResource(res) {
			return true
		}
	}
	return false
}
