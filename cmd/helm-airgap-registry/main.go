package main

import (
	"io"
	"os"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line; a signal cancels the copy, which stops
// with nothing half-written under a final name, and exits 128+N.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.RunInterruptible(newRootCommand(), "helm-airgap", "nothing was left under a final name half-written (run the same command again to resume)",
		args, stdin, stdout, stderr)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "helm-airgap-registry",
		Short: "Mirror and verify the images of a helm-airgap plan (run as helm-airgap mirror|verify)",
		Long: `helm-airgap-registry serves the registry subcommands of helm-airgap: mirror
copies every image the manifests use to its mirror destination (directly, or
through an OCI archive carried across the air gap), and verify checks that
every destination exists before anyone runs helm install. Run it as
"helm-airgap mirror" and "helm-airgap verify".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       currentVersion(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newMirrorCommand(), newVerifyCommand(), newResolveCommand(), newInventoryCommand())
	return root
}
