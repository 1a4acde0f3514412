package rewrite

import (
	"bytes"
	"strings"

	"github.com/plexicus/helm-airgap/internal/yamlnode"

	"github.com/plexicus/helm-airgap/rules/config"
	"go.yaml.in/yaml/v3"
)

// Issuer is the cert-manager issuer every certificate of the release should
// come from: an internal CA instead of a public ACME one.
type Issuer struct {
	Name string
	Kind string // "ClusterIssuer" or "Issuer"
}

// cert-manager's annotations on Ingresses and Gateways (ingress-shim and
// gateway-shim).
const (
	annClusterIssuer = "cert-manager.io/cluster-issuer"
	annIssuer        = "cert-manager.io/issuer"
	annIssuerKind    = "cert-manager.io/issuer-kind"
	annIssuerGroup   = "cert-manager.io/issuer-group"
	certManagerGroup = "cert-manager.io"
)

// ConfigPasses are the passes a config asks for beyond images: the issuer
// rewrite when it names an issuer. Every command that rewrites with a config
// adds them, so that issuer: means the same everywhere.
func ConfigPasses(cfg *config.Config) []Pass {
	if cfg == nil || cfg.Issuer == nil {
		return nil
	}
	return []Pass{IssuerPass(Issuer{Name: cfg.Issuer.Name, Kind: cfg.Issuer.IssuerKind()})}
}

// IssuerPass returns a Pass that points cert-manager at the issuer:
// the cluster-issuer / issuer annotations of Ingresses and Gateways, and
// spec.issuerRef of Certificates. Values are changed byte-exactly in place;
// an annotation of the other kind is renamed (cluster-issuer <-> issuer) and
// a missing issuerRef.kind is added, so the result names exactly the issuer
// configured. Running it again changes nothing.
func IssuerPass(issuer Issuer) Pass {
	return func(doc *Document, edit *Edit) error {
		root := doc.Root
		if yamlnode.ScalarAt(root, "kind") == "List" {
			if items := yamlnode.Lookup(root, "items"); items != nil && items.Kind == yaml.SequenceNode {
				for _, item := range items.Content {
					issuer.object(yamlnode.Resolve(item), edit)
				}
			}
			return nil
		}
		issuer.object(root, edit)
		return nil
	}
}

func (is Issuer) object(obj *yaml.Node, edit *Edit) {
	if obj == nil || obj.Kind != yaml.MappingNode {
		return
	}
	res := yamlnode.Identify(obj)
	group, _, _ := strings.Cut(res.APIVersion, "/")
	switch {
	case res.Kind == "Ingress" && (group == "networking.k8s.io" || group == "extensions"),
		res.Kind == "Gateway" && group == "gateway.networking.k8s.io":
		is.annotations(yamlnode.Lookup(yamlnode.Lookup(obj, "metadata"), "annotations"), edit)
	case res.Kind == "Certificate" && group == certManagerGroup:
		is.issuerRef(yamlnode.Lookup(yamlnode.Lookup(obj, "spec"), "issuerRef"), edit)
	}
}

// pair returns the key and (scalar) value nodes of key in a mapping's own
// entries.
func pair(m *yaml.Node, key string) (k, v *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key && m.Content[i+1].Kind == yaml.ScalarNode {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func (is Issuer) annotations(ann *yaml.Node, edit *Edit) {
	clusterKey, clusterVal := pair(ann, annClusterIssuer)
	issuerKey, issuerVal := pair(ann, annIssuer)
	_, kindVal := pair(ann, annIssuerKind)
	_, groupVal := pair(ann, annIssuerGroup)
	if groupVal != nil && (issuerKey != nil || clusterKey != nil) {
		edit.SetScalar(groupVal, certManagerGroup) // an external issuer's group no longer applies
	}
	switch {
	case is.Kind == "ClusterIssuer" && clusterKey != nil:
		edit.SetScalar(clusterVal, is.Name)
	case is.Kind == "ClusterIssuer" && issuerKey != nil && kindVal != nil:
		// cert-manager.io/issuer with issuer-kind: keep the form, fix both.
		edit.SetScalar(issuerVal, is.Name)
		edit.SetScalar(kindVal, is.Kind)
	case is.Kind == "ClusterIssuer" && issuerKey != nil:
		edit.SetScalar(issuerKey, annClusterIssuer)
		edit.SetScalar(issuerVal, is.Name)
	case is.Kind == "Issuer" && issuerKey != nil:
		edit.SetScalar(issuerVal, is.Name)
		if kindVal != nil {
			edit.SetScalar(kindVal, is.Kind)
		}
	case is.Kind == "Issuer" && clusterKey != nil:
		edit.SetScalar(clusterKey, annIssuer)
		edit.SetScalar(clusterVal, is.Name)
		if kindVal != nil {
			edit.SetScalar(kindVal, is.Kind)
		}
	}
}

// issuerRef points a Certificate's spec.issuerRef at the issuer. An absent
// kind means Issuer to cert-manager, so it is added for a ClusterIssuer.
func (is Issuer) issuerRef(ref *yaml.Node, edit *Edit) {
	if ref == nil || ref.Kind != yaml.MappingNode {
		return
	}
	nameKey, name := pair(ref, "name")
	if name == nil {
		return
	}
	edit.SetScalar(name, is.Name)
	if _, kind := pair(ref, "kind"); kind != nil {
		edit.SetScalar(kind, is.Kind)
	} else if yamlnode.Lookup(ref, "kind") == nil && is.Kind != "Issuer" {
		edit.patch.insertKey(ref, nameKey, name, "kind", is.Kind)
	}
	if _, group := pair(ref, "group"); group != nil {
		edit.SetScalar(group, certManagerGroup)
	}
}

// insertKey adds "key: value" to a mapping: on a new line after the entry
// afterKey: afterValue in a block mapping, in its indentation; or right
// after the brace of a flow mapping (in JSON syntax, so a JSON document stays
// JSON). Otherwise the document is re-encoded.
func (p *patch) insertKey(m, afterKey, afterValue *yaml.Node, key, value string) {
	if !p.splicer.insertKey(m, afterKey, afterValue, key, value) {
		p.unsafe = true
	}
	p.changes = append(p.changes, func() {
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}
		v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
		at := len(m.Content)
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i] == afterKey {
				at = i + 2
			}
		}
		m.Content = append(m.Content[:at], append([]*yaml.Node{k, v}, m.Content[at:]...)...)
	})
}

func (s *splicer) insertKey(m, afterKey, afterValue *yaml.Node, key, value string) bool {
	if m.Style&yaml.FlowStyle != 0 {
		o := s.offset(m.Line, m.Column)
		if o < 0 || o >= len(s.data) || s.data[o] != '{' {
			return false
		}
		s.edits = append(s.edits, edit{at: o + 1, text: `"` + key + `": "` + value + `", `})
		return true
	}
	k := s.offset(afterKey.Line, afterKey.Column)
	if k < 0 || !isBlank(s.data[s.lineStart(k):k]) {
		return false
	}
	_, end, ok := s.scalarSpan(afterValue)
	if !ok {
		return false
	}
	if afterValue.Style != 0 {
		end++ // the closing quote
	}
	rest := s.data[end:]
	at := len(s.data)
	if i := bytes.IndexByte(rest, '\n'); i >= 0 {
		rest, at = rest[:i], end+i+1
	}
	if tail := bytes.TrimLeft(rest, " \t\r"); len(tail) > 0 && tail[0] != '#' {
		return false
	}
	text := string(s.data[s.lineStart(k):k]) + key + ": " + quoteName(value) + s.eol()
	if at == len(s.data) && (at == 0 || s.data[at-1] != '\n') {
		text = s.eol() + text
	}
	s.edits = append(s.edits, edit{at: at, text: text})
	return true
}
