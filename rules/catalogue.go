package rules

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Operator is one entry of the catalogue: what helm-airgap must know about an
// operator's custom resources beyond the context rules (catalogue.yaml).
type Operator struct {
	Name         string             `yaml:"name" json:"name"`
	Description  string             `yaml:"description,omitempty" json:"description,omitempty"`
	Resources    []OperatorResource `yaml:"resources,omitempty" json:"resources,omitempty"`
	Placeholders []string           `yaml:"placeholders,omitempty" json:"placeholders,omitempty"`
	// RegistrySettings are keys, flags or variables whose registry value
	// only normalises image names (the registry an image written without one
	// is matched as) and is never pulled from: they are not rewritten. Any
	// other registry-named setting holding a registry host is rewritten to
	// its mapped prefix, or refused.
	RegistrySettings []string `yaml:"registrySettings,omitempty" json:"registrySettings,omitempty"`
}

// OperatorResource names resources of one API group (or group/version) and
// kinds, the fields that hold their images and where their pull secrets go.
type OperatorResource struct {
	APIVersion  string   `yaml:"apiVersion,omitempty" json:"apiVersion,omitempty"`
	Kinds       []string `yaml:"kinds" json:"kinds"`
	ImageFields []string `yaml:"imageFields,omitempty" json:"imageFields,omitempty"`
	// PullSecrets is the path of the mapping that gets imagePullSecrets
	// ("spec"); empty for resources whose schema has no such field.
	PullSecrets string `yaml:"pullSecrets,omitempty" json:"pullSecrets,omitempty"`
}

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
	match := func(pattern, s string) bool { return pattern == "" || Glob(pattern, s) }
	return match(i.Kind, kind) && match(i.Namespace, namespace) && match(i.Name, name) &&
		(i.Field == "" || MatchField(i.Field, field)) && match(i.Image, image)
}

//go:embed catalogue.yaml
var builtinCatalogue []byte

var (
	builtinOnce      sync.Once
	builtinOperators []Operator
)

// BuiltinOperators is the catalogue shipped with helm-airgap.
func BuiltinOperators() []Operator {
	builtinOnce.Do(func() {
		var doc struct {
			Operators []Operator `yaml:"operators"`
		}
		if err := yaml.Unmarshal(builtinCatalogue, &doc); err != nil {
			panic("rules: the built-in catalogue does not parse: " + err.Error())
		}
		builtinOperators = doc.Operators
	})
	return builtinOperators
}

// Catalogue is the compiled catalogue: the built-in operators, the config's
// own entries and its imageFields.
type Catalogue struct {
	fields       []ImageField
	pullSecrets  []ImageField // Path is where imagePullSecrets goes
	placeholders map[string]bool
	registryOnly map[string]bool // RegistrySettings
}

// NewCatalogue compiles operators (already validated) and plain image fields.
func NewCatalogue(operators []Operator, fields []ImageField) *Catalogue {
	c := &Catalogue{placeholders: map[string]bool{}, registryOnly: map[string]bool{}}
	have := map[ImageField]bool{}
	addField := func(f ImageField) {
		if !have[f] {
			have[f] = true
			c.fields = append(c.fields, f)
		}
	}
	for _, f := range fields {
		addField(f)
	}
	for _, op := range operators {
		for _, p := range op.Placeholders {
			c.placeholders[p] = true
		}
		for _, name := range op.RegistrySettings {
			c.registryOnly[name] = true
		}
		for _, r := range op.Resources {
			for _, kind := range r.Kinds {
				for _, f := range r.ImageFields {
					addField(ImageField{APIVersion: r.APIVersion, Kind: kind, Path: f})
				}
				if r.PullSecrets != "" {
					c.pullSecrets = append(c.pullSecrets, ImageField{APIVersion: r.APIVersion, Kind: kind, Path: r.PullSecrets})
				}
			}
		}
	}
	return c
}

// DefaultCatalogue is the built-in catalogue alone.
func DefaultCatalogue() *Catalogue { return NewCatalogue(BuiltinOperators(), nil) }

// Catalogue compiles the built-in catalogue with the config's entries and
// image fields. Call it on a config that Compile accepted.
func (c *Config) Catalogue() *Catalogue {
	return NewCatalogue(append(append([]Operator(nil), BuiltinOperators()...), c.Operators...), c.ImageFields)
}

// ImageFields are the fields that hold images in a resource.
func (c *Catalogue) ImageFields(apiVersion, kind string) []ImageField {
	if c == nil {
		return nil
	}
	var out []ImageField
	for _, f := range c.fields {
		if f.Matches(apiVersion, kind) {
			out = append(out, f)
		}
	}
	return out
}

// AllImageFields lists every configured and catalogued image field.
func (c *Catalogue) AllImageFields() []ImageField {
	if c == nil {
		return nil
	}
	return c.fields
}

// PullSecretPaths are the mappings of a resource that get imagePullSecrets.
func (c *Catalogue) PullSecretPaths(apiVersion, kind string) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, f := range c.pullSecrets {
		if f.Matches(apiVersion, kind) {
			out = append(out, f.Path)
		}
	}
	return out
}

// IsPlaceholder reports whether a value stands for an image filled in later.
func (c *Catalogue) IsPlaceholder(value string) bool {
	return c != nil && c.placeholders[value]
}

// NormalisesOnly reports whether a registry-named setting only normalises
// image names and pulls nothing (RegistrySettings).
func (c *Catalogue) NormalisesOnly(name string) bool {
	return c != nil && c.registryOnly[name]
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
				if _, err := ParseFieldPath(f); err != nil {
					errs = append(errs, c.errorf(fmt.Sprintf("%s.imageFields[%d]", rkey, k), "%v", err))
				}
			}
			if r.PullSecrets != "" {
				if _, err := ParseFieldPath(r.PullSecrets); err != nil {
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
