package main

import "github.com/plexicus/helm-airgap/internal/cli"

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func currentVersion() string { return cli.Version(version) }
