package detect

import (
	_ "embed"
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
