// Package config reads airgap.yaml: its keys, line numbers and hints for
// common mistakes, the values flags and environment variables override, and
// the validation that turns it into the mapper (package mapper) and the
// detection catalogue (package detect). Every problem is reported at once,
// each with the file, the line and the key.
//
// It imports the other rules packages and egress/egressconfig, and never
// walks manifests or talks to a registry.
package config
