// Command argocd-cmp-server is Argo CD's config management plugin server, the
// process the plugin's sidecar runs, built from the pinned
// github.com/argoproj/argo-cd/v3 module so that tests (internal/argocdtest)
// run argocd/plugin.yaml in the real server.
package main

import (
	"os"

	"github.com/argoproj/argo-cd/v3/cmd/argocd-cmp-server/commands"
)

func main() {
	command := commands.NewCommand()
	command.SilenceUsage = true
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
