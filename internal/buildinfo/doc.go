// Package buildinfo is the version every helm-airgap binary reports, in
// one place: the version make build stamps into the binary's main package
// (-ldflags "-X main.version=...", plugin.yaml's), else the module version
// go install records, else "(devel)".
//
// The fast binary imports it: it imports only the standard library.
package buildinfo
