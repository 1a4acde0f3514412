// Package mirror is the mirror benchmark (make bench-mirror): a synthetic
// platform release pushed into a real distribution registry on loopback,
// copied by helm-airgap mirror and by the peers users would pick instead
// (crane and regctl, pinned in bench/peers), beside the physical floor.
// Its only code is a test behind the benchmirror build tag, so go test
// ./... never runs it; it appends its table to bench/RESULTS.md.
package mirror
