package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/plexicus/helm-airgap/rules/detect"
)

// Ignore acknowledges a public reference that is deliberately left as it is.
// Kind, Namespace, Name, Field and Image select (empty matches all; "*"
// matches any run of characters; Field matches the path or a parent of it,
// as egress allow: entries do); Reason is required.
type Ignore struct {
	Kind      string `yaml:"kind,omitempty" json:"kind,omitempty"`
	Namespace string `yaml:"namespace,omitempty" json:"namespace,omitempty"`
	Name      string `yaml:"name,omitempty" json:"name,omitempty"`
	Field     string `yaml:"field,omitempty" json:"field,omitempty"`
	Image     string `yaml:"image,omitempty" json:"image,omitempty"`
	Reason    string `yaml:"reason" json:"reason"`
}

// Matches reports whether the entry acknowledges a reference.
func (i Ignore) Matches(kind, namespace, name, field, image string) bool {
	match := func(pattern, s string) bool { return pattern == "" || detect.Glob(pattern, s) }
	return match(i.Kind, kind) && match(i.Namespace, namespace) && match(i.Name, name) &&
		(i.Field == "" || detect.MatchField(i.Field, field)) && match(i.Image, image)
}

// Catalogue compiles the built-in catalogue with the config's entries and
// image fields. Call it on a config that Compile accepted.
func (c *Config) Catalogue() *detect.Catalogue {
	return detect.NewCatalogue(append(append([]detect.Operator(nil), detect.BuiltinOperators()...), c.Operators...), c.ImageFields)
}

// validateCatalogue checks the config's catalogue and ignore entries.
func (c *Config) validateCatalogue() []error {
	var errs []error
	for i, op := range c.Operators {
		key := "catalogue[" + strconv.Itoa(i) + "]"
		if op.Name == "" {
			errs = append(errs, c.errorf(key+".name", "name is required"))
		}
		for j, r := range op.Resources {
			rkey := fmt.Sprintf("%s.resources[%d]", key, j)
			if len(r.Kinds) == 0 {
				errs = append(errs, c.errorf(rkey+".kinds", "at least one kind is required"))
			}
			for k, f := range r.ImageFields {
				if _, err := detect.ParseFieldPath(f); err != nil {
					errs = append(errs, c.errorf(fmt.Sprintf("%s.imageFields[%d]", rkey, k), "%v", err))
				}
			}
			if r.PullSecrets != "" {
				if _, err := detect.ParseFieldPath(r.PullSecrets); err != nil {
					errs = append(errs, c.errorf(rkey+".pullSecrets", "%v", err))
				}
			}
		}
		for k, p := range op.Placeholders {
			if strings.TrimSpace(p) == "" {
				errs = append(errs, c.errorf(fmt.Sprintf("%s.placeholders[%d]", key, k), "empty placeholder"))
			}
		}
		for k, name := range op.RegistrySettings {
			if strings.TrimSpace(name) == "" {
				errs = append(errs, c.errorf(fmt.Sprintf("%s.registrySettings[%d]", key, k), "empty setting name"))
			}
		}
	}
	for i, ig := range c.Ignore {
		key := "ignore[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(ig.Reason) == "" {
			errs = append(errs, c.errorf(key+".reason", "reason is required: say why this public reference is acceptable"))
		}
		errs = append(errs, c.ignoreSelectors(key, ig)...)
	}
	return errs
}

// ignoreSelectors refuses an ignore entry that would silence every public
// reference: one with no selector at all, or a selector that matches
// anything ("*"), which only says "everything" at greater length.
func (c *Config) ignoreSelectors(key string, ig Ignore) []error {
	var errs []error
	selected := false
	for _, s := range []struct{ name, pattern string }{
		{"kind", ig.Kind}, {"namespace", ig.Namespace}, {"name", ig.Name}, {"field", ig.Field}, {"image", ig.Image},
	} {
		if s.pattern == "" {
			continue
		}
		selected = true
		if strings.Trim(s.pattern, "*") == "" {
			errs = append(errs, c.errorf(key+"."+s.name, "%q matches every %s, so the entry would silence public references it does not name; give the %s to ignore, or leave the key out and select by the others", s.pattern, s.name, s.name))
		}
	}
	if !selected {
		errs = append(errs, c.errorf(key, "an ignore entry needs a selector, or it silences every public reference; name what to leave public, for example:\n  - kind: ConfigMap\n    name: docs\n    image: docker.io/library/nginx:1.27\n    reason: %s", strconv.Quote(ig.Reason)))
	}
	return errs
}
