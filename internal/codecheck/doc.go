// Package codecheck holds the tests that keep the repository true to its
// own rules and words, read from the source itself:
//
//   - funclen_test.go: no non-test function over 80 lines (the packages
//     being redesigned are listed, not failed, until they are done);
//   - fuzz_test.go: CONTRIBUTING.md lists every fuzz target of the module
//     (-update rewrites the list);
//   - imports_test.go: what the package docs (doc.go) say a package imports
//     or must not import, and who may import it, checked against go list.
//
// It has no code of its own and nothing imports it.
package codecheck
