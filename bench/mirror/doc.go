// Package mirror is the mirror benchmark (make bench-mirror): a synthetic
// platform release pushed into a real distribution registry on loopback,
// copied by helm-airgap mirror and by the peers users would pick instead
// (crane and regctl, pinned in bench/peers), beside two floors: the bytes
// through cat and through a loopback socket (the machine's), and each blob
// GET from one registry and PUT into another with nothing else done (the
// registries': what any client copying through them pays).
// Its only code is a test behind the benchmirror build tag, so go test
// ./... never runs it; it appends its table to bench/RESULTS.md.
package mirror
