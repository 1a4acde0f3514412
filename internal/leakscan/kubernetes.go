package leakscan

import (
	"fmt"

	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// readsDifferently reports whether a document uses what go-yaml v2, and so
// Kubernetes (sigs.k8s.io/yaml), reads otherwise than a walk of yaml.v3
// nodes: a merge key or an explicit tag (a custom one, !!binary).
func readsDifferently(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Style&yaml.TaggedStyle != 0 || n.Kind == yaml.ScalarNode && n.Tag == "!!merge" {
		return true
	}
	for _, c := range n.Content {
		if readsDifferently(c) {
			return true
		}
	}
	return false
}

// asKubernetesReadsIt is the document as the API server reads it: encoded
// again, converted to JSON by sigs.k8s.io/yaml, and parsed back. Line
// numbers are lost; what the document holds is the API server's.
func asKubernetesReadsIt(doc *yaml.Node) (*yaml.Node, error) {
	text, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	j, err := sigsyaml.YAMLToJSON(text)
	if err != nil {
		return nil, fmt.Errorf("sigs.k8s.io/yaml, as the API server, cannot read it: %w", err)
	}
	var k8s yaml.Node
	if err := yaml.Unmarshal(j, &k8s); err != nil {
		return nil, err
	}
	return &k8s, nil
}
