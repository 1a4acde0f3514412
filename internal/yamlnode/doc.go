// Package yamlnode is the one set of helpers for reading Kubernetes objects
// from go.yaml.in/yaml/v3 nodes: following aliases, looking keys up the way
// Kubernetes' YAML decoder does (merge keys "<<" included), a resource's
// identity, the items of a kind: List, and a command line's "--flag value"
// pairs. rewrite, egress and the KRM function read objects through it, so
// that they agree on what an object holds.
//
// It reads nodes and never changes them. It imports only the YAML library.
package yamlnode
