// Package configschema generates the JSON Schema of the helm-airgap config
// file (config.Config) from its Go types, for editors that complete and
// validate YAML (yaml-language-server). The schema is committed as
// docs/config.schema.json; the package's test regenerates it and fails when
// the committed copy is stale (-update refreshes it).
//
// Only tests import this package: the fast binary must not carry the schema
// library.
package configschema
