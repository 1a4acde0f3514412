// Package rewrite owns everything that reads and changes manifests. A run
// is one flow, each step in its own files:
//
//	read    stream.go, document.go   split the stream into documents and parse
//	                                 each as Kubernetes reads it (internal/k8syaml)
//	locate  walker.go, locate*.go    walk each document once, offering every node
//	                                 to the locators; they yield sites
//	map     engine.go                resolve each site through rules/mapper
//	                                 (and the lock, when pinned)
//	edit    patch.go, splice.go      splice each new value at the bytes the
//	                                 parser reports, add imagePullSecrets
//	write   engine.go, spool.go      hold the output until the whole stream
//	or refuse                        passed, then write it; or write nothing and
//	                                 name every offender (PolicyError, InputError)
//
// The locators (locate.go lists them) each own one kind of place:
// catalogued custom-resource fields (locate_catalogue.go), pod-spec fields
// kept as data (locate_podspec.go), references split over keys and registry
// settings (locate_composite.go), base64 data (locate_base64.go), embedded
// text (locate_text.go) and single values or keys taken by the name they
// sit under (locate_context.go). The walker keeps the path, the names, the
// node budget and the offsets that place text embedded in a scalar; a
// locator keeps nothing between nodes.
//
// Edits are spliced into the original bytes, so comments, quoting, key
// order and indentation survive and a document that needs no change is
// copied through untouched. A document whose edit cannot be spliced safely
// is re-encoded from its parsed tree. Documents are processed on every core
// and collected in input order, so memory is bounded by the largest
// document rather than the stream.
//
// It decides where references are; rules/detect decides what is one and
// rules/mapper what it becomes. It never talks to a registry.
package rewrite
