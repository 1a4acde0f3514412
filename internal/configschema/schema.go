package configschema

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
	"github.com/plexicus/helm-airgap/egress/egressconfig"
	"github.com/plexicus/helm-airgap/rules/config"
)

// ID is where the committed schema is published; sample configs name it in
// their "# yaml-language-server: $schema=" line.
const ID = "https://raw.githubusercontent.com/plexicus/helm-airgap/main/docs/config.schema.json"

// module is the import path the Go doc comments are keyed by.
const module = "github.com/plexicus/helm-airgap"

// descriptions are the user-facing text of keys, by "Type.key"; they win
// over doc comments, which are written for the code's readers.
var descriptions = map[string]string{
	"Config.apiVersion":            "The config format; helm-airgap/v1 (the default when absent).",
	"Config.mirror":                "Catch-all destination: every public image no rule matches goes to MIRROR/PATH (docker.io/library/nginx -> MIRROR/library/nginx). A registry host with an optional path, no scheme, lower case.",
	"Config.rules":                 "Move every repository under from to the same path under to; the longest matching from wins.",
	"Config.pullSecrets":           "Secret names added to imagePullSecrets of every pod template.",
	"Config.allow":                 "Registry hosts that are already internal: images there are left as they are. A public registry is refused.",
	"Config.imageFields":           "Custom-resource fields that hold an image reference, besides the built-in ones.",
	"Config.egress":                "The phone-home (egress) audit (docs/egress.md).",
	"Config.catalogue":             "Operators whose custom resources hold images in fields context cannot tell, in the shape of the built-in catalogue (docs/images.md).",
	"Config.ignore":                "Public references left on purpose, each with a reason and at least one selector (none matching everything): they pass instead of failing the run, and are listed.",
	"EgressAllow.namespace":        "Namespace of the resource.",
	"Ignore.kind":                  "Kind of the resource (empty matches all).",
	"Ignore.namespace":             "Namespace of the resource (empty matches all).",
	"Ignore.name":                  "Name of the resource (empty matches all).",
	"Ignore.field":                 "Field path pattern; \"*\" matches within one step (empty matches all).",
	"Ignore.image":                 "The reference as written (empty matches all).",
	"Ignore.reason":                "Why the reference is left public (required).",
	"Operator.name":                "Name of the operator.",
	"Operator.description":         "What the entry is for.",
	"Operator.resources":           "The operator's resources and their image fields.",
	"Operator.placeholders":        "Values that stand for \"fill this in\" and are not images (image: auto).",
	"OperatorResource.apiVersion":  "A group (any version) or group/version; empty matches all.",
	"OperatorResource.kinds":       "Kinds of the resources.",
	"OperatorResource.imageFields": "Field paths that must hold an image reference (\"spec.workers[].image\").",
	"Config.issuer":                "The internal cert-manager issuer that public ACME issuers are replaced with: a ClusterIssuer name, or {name, kind}.",
	"Rule.from":                    "Source prefix: a registry host with an optional path (docker.io/bitnami, quay.io).",
	"Rule.to":                      "Destination prefix on the internal registry (registry.example.com/bitnami).",
	"ImageField.kind":              "Kind of the resources the field is in.",
	"EgressAllow.host":             "Host name, \"*\" matches any run of characters.",
	"EgressAllow.kind":             "Kind of the resource.",
	"EgressAllow.name":             "Name of the resource.",
	"EgressAllow.field":            "Field path of the value, as the audit prints it.",
	"IssuerConfig.name":            "Name of the issuer.",
	"IssuerConfig.kind":            "ClusterIssuer (the default) or Issuer.",
}

// Generate returns the schema, indented, with a final newline. It must run
// in the module root: the doc comments of rules/*.go give the descriptions.
func Generate() ([]byte, error) {
	r := &jsonschema.Reflector{
		// The config is read strictly: unknown keys are errors.
		AllowAdditionalProperties: false,
		// Required follows the yaml tags: only fields without omitempty.
		RequiredFromJSONSchemaTags: false,
		Mapper:                     issuerShorthand,
	}
	if err := r.AddGoComments(module, "./rules"); err != nil {
		return nil, fmt.Errorf("reading the doc comments of rules/: %w", err)
	}
	s := r.Reflect(&config.Config{})
	s.ID = ID
	s.Title = "helm-airgap config"
	for name, def := range s.Definitions {
		describe(name, def)
	}
	if apiVersion, ok := s.Definitions["Config"].Properties.Get("apiVersion"); ok {
		apiVersion.Enum = []any{config.APIVersion}
	}
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// describe sets the user-facing descriptions; a doc comment stays where
// there is none.
func describe(typeName string, s *jsonschema.Schema) {
	if s.Properties == nil {
		return
	}
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		if text, ok := descriptions[typeName+"."+pair.Key]; ok {
			pair.Value.Description = text
		}
	}
}

// issuerShorthand: issuer is a name or a {name, kind} mapping
// (egressconfig.Issuer.UnmarshalYAML).
func issuerShorthand(t reflect.Type) *jsonschema.Schema {
	if t != reflect.TypeOf(egressconfig.Issuer{}) {
		return nil
	}
	object := &jsonschema.Schema{
		Type:                 "object",
		Properties:           jsonschema.NewProperties(),
		Required:             []string{"name"},
		AdditionalProperties: jsonschema.FalseSchema,
	}
	object.Properties.Set("name", &jsonschema.Schema{Type: "string", Description: descriptions["IssuerConfig.name"]})
	object.Properties.Set("kind", &jsonschema.Schema{Type: "string", Enum: []any{egressconfig.ClusterIssuer, egressconfig.NamespacedIssuer}, Description: descriptions["IssuerConfig.kind"]})
	return &jsonschema.Schema{
		Description: descriptions["Config.issuer"],
		OneOf: []*jsonschema.Schema{
			{Type: "string", Description: "A ClusterIssuer name."},
			object,
		},
	}
}
