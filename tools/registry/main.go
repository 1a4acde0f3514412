// Command registry is the CNCF distribution registry (v3), built from the
// pinned github.com/distribution/distribution/v3 module so that tests
// (internal/registrytest) and make bench-mirror can start a real registry
// on loopback without downloading a release binary.
//
// Unlike upstream's cmd/registry it links only what those runs use: the
// filesystem and in-memory storage drivers and htpasswd auth. The cloud
// storage drivers (S3, GCS, Azure) and token auth are left out to keep the
// cold build cheap for CI.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

func main() {
	// RootCmd's subcommands exit on their own failures; Execute fails only
	// on bad arguments.
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(2)
	}
}
