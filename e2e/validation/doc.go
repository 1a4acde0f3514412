// Package validation checks every rewritten render against a real API
// server: each file of testdata/corpus (real third-party charts) and the
// bundled test chart is rewritten with the sample config plus a pull
// secret, its CRDs are applied, and every other document goes through a
// server-side dry-run apply with strict field validation. A field that the
// rewrite adds where a schema does not allow it (an imagePullSecrets in a
// custom resource, say) or a reference the API server rejects fails here.
//
// It is a package of its own so that `go test ./...` runs it beside the
// other end-to-end tests. The tests have no non-test code; this file only
// documents the package.
package validation
