package rules

import (
	"fmt"
	"strings"
)

// PathStep is one step of an ImageField path: a mapping key, and whether the
// value is a sequence whose every item the path continues into.
type PathStep struct {
	Key  string
	Each bool
}

// ParseFieldPath parses "spec.image" or "spec.sidecars[].image".
func ParseFieldPath(s string) ([]PathStep, error) {
	if s == "" {
		return nil, fmt.Errorf("parsing field path %q: empty", s)
	}
	var steps []PathStep
	for _, part := range strings.Split(s, ".") {
		key, each := strings.CutSuffix(part, "[]")
		if key == "" || strings.ContainsAny(key, "[]") {
			return nil, fmt.Errorf("parsing field path %q: bad step %q (want name or name[])", s, part)
		}
		steps = append(steps, PathStep{Key: key, Each: each})
	}
	if steps[len(steps)-1].Each {
		return nil, fmt.Errorf("parsing field path %q: the last step names the image field and cannot be a sequence", s)
	}
	return steps, nil
}

// Matches reports whether the field applies to a resource.
func (f ImageField) Matches(apiVersion, kind string) bool {
	if f.Kind != kind {
		return false
	}
	if f.APIVersion == "" || f.APIVersion == apiVersion {
		return true
	}
	group, _, _ := strings.Cut(apiVersion, "/")
	return !strings.Contains(f.APIVersion, "/") && f.APIVersion == group
}

// BuiltinImageFields are the custom-resource image fields of the built-in
// catalogue (catalogue.yaml).
var BuiltinImageFields = DefaultCatalogue().AllImageFields()
