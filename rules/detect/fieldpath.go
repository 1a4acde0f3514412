package detect

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

// ImageField names an extra field that holds an image reference in resources
// of one kind, such as spec.image of a prometheus-operator Prometheus.
type ImageField struct {
	// APIVersion matches "group/version" exactly, or any version of a group
	// when it has no slash; empty matches every apiVersion.
	APIVersion string `yaml:"apiVersion,omitempty" json:"apiVersion,omitempty"`
	Kind       string `yaml:"kind" json:"kind"`
	// Path is dot-separated; "[]" after a name steps into every item of a
	// sequence: "spec.sidecars[].image".
	Path string `yaml:"path" json:"path"`
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

// Field paths in reports, in ignore: entries and in the egress audit's
// allow: entries are one syntax: dot-separated keys with "[N]" for list
// items ("spec.template.spec.containers[0].image"); " > " steps into text
// embedded in a value ("data.values.json > global.imageK8S"). Catalogue and
// imageFields paths write "[]" for "every item". In patterns, "*" matches
// any run of characters ("spec.template.spec.containers[*].image").

// MatchField matches a field path or any parent of it.
func MatchField(pattern, field string) bool {
	if Glob(pattern, field) {
		return true
	}
	for i := 0; i < len(field); i++ {
		if (field[i] == '.' || field[i] == '[') && Glob(pattern, field[:i]) {
			return true
		}
	}
	return false
}

// Glob matches s against a pattern where "*" matches any run of characters.
func Glob(pattern, s string) bool {
	// Iterative matching with backtracking to the last star: linear in
	// practice, never exponential.
	p, i, star, mark := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p, mark = star+1, mark+1
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
