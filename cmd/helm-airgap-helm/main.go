package main

import (
	"github.com/plexicus/helm-airgap/internal/buildinfo"
	"io"
	"os"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/kube"
)

func main() {
	// The field manager Helm itself uses, so that resources installed here
	// and by `helm` are owned by the same manager.
	kube.ManagedFieldsManager = "helm"
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Run(newRootCommand(), "helm-airgap", args, stdin, stdout, stderr)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "helm-airgap",
		Short: "Render, install or upgrade a chart with Helm 3, rewriting every image, hooks included",
		Long: `The Helm 3 commands of helm-airgap. They run Helm 3's own template, install
and upgrade with helm-airgap as post-renderer, and rewrite every hook manifest
too: Helm 3 never passes hooks (helm.sh/hook resources) to a post-renderer, so
with plain --post-renderer hook Jobs and test Pods keep their public images.

Run them as "helm-airgap template|install|upgrade|rollback" or, with the Helm plugin
installed, "helm airgap template|install|upgrade|rollback".`,
	}
	root.Version = buildinfo.Version(version)
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newTemplateCommand(), newInstallCommand(), newUpgradeCommand(), newRollbackCommand(), newArgoCDCommand())
	return root
}

// version is set at build time with -ldflags "-X main.version=...".
var version = ""
