// Package rewrite owns everything that reads and changes manifests: it splits
// a stream into documents, finds every image reference in each (pod-spec
// containers, image volumes, container args/command/env, and configured
// custom-resource fields), maps each through the rules package, adds
// imagePullSecrets to pod specs, and reports references that are still
// public after rewriting.
//
// Edits are spliced into the original bytes at the positions the YAML parser
// reports, so comments, quoting, key order and indentation survive and a
// document that needs no change is copied through untouched. A document
// whose edit cannot be spliced safely is re-encoded from its parsed tree.
// Documents are processed one at a time (on every core, in input order), so
// memory is bounded by the largest document rather than the stream.
package rewrite
