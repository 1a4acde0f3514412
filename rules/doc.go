// Package rules owns helm-airgap's configuration and the mapping of image
// references onto the internal registry: which registries count as internal,
// which rule or catch-all mirror a reference matches, what it becomes, and
// which sources would collide on one destination.
//
// It is pure: it parses reference strings with github.com/distribution/reference
// and never walks YAML documents or talks to a registry. The rewrite package
// decides where references are found; this package decides what they become.
package rules
