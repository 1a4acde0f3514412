// Package egressconfig is the egress and issuer sections of airgap.yaml:
// what the phone-home audit (package egress) treats as internal or
// allowed, whether it fails the run, and the internal cert-manager issuer
// that replaces public ACME issuers. Package config parses and validates
// it with the rest of the file.
//
// It holds data and parses one flag; it imports only the standard library
// and the YAML library, so config can include it without the audit.
package egressconfig
