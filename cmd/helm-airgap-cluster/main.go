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

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Run(newRootCommand(), "helm-airgap", args, stdin, stdout, stderr)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "helm-airgap-cluster",
		Short: "The admission policy from the rules, and the images of a live cluster (run as helm-airgap policy|images|check)",
		Long: `helm-airgap-cluster serves the cluster subcommands of helm-airgap: policy
writes the admission policy that enforces the rules in the API server, and
images --from-cluster and check --from-cluster read the images of a running
cluster. Run it as "helm-airgap policy", "helm-airgap images --from-cluster"
and "helm-airgap check --from-cluster".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newPolicyCommand(), newImagesCommand(), newCheckCommand())
	return root
}
