package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/spf13/cobra"
)

func main() {
	tuneMemory()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// tuneMemory trades a little memory for much less garbage collection. The
// engine's garbage is the parse trees of documents already written, so the
// heap stays small; collecting at 5x live heap, under a soft 40 MiB limit,
// keeps peak RSS flat while collecting far less often (measured: 1.7x faster
// on a 58 MB stream at the same 40 MB RSS). The engine raises the limit for
// a document too large for it. GOGC and GOMEMLIMIT still win when set.
func tuneMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(40 << 20)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if fromCluster(args) { // external.go; returns only if the exec failed
		err := execCompanion(clusterCompanion, args)
		fmt.Fprintf(stderr, "helm-airgap: %v\n", err)
		return cli.ExitCode(err)
	}
	return cli.Run(newRootCommand(), "helm-airgap", args, stdin, stdout, stderr)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "helm-airgap",
		Short: "Rewrite every image in rendered manifests to an internal mirror, and fail closed",
		Long: `helm-airgap makes any Helm chart installable in an air-gapped cluster. It reads
rendered manifests, rewrites every image reference to your internal registry by
rules, adds imagePullSecrets, and exits non-zero naming every reference that
would still be pulled from a public registry.

Use it as a Helm post-renderer, an Argo CD config management plugin, or on any
manifest stream.`,
		Version: currentVersion(), // --version prints what "helm-airgap version" prints
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newRewriteCommand(), newCheckCommand(), newVersionCommand())
	root.AddCommand(newImagesCommand(), newNodesCommand())
	root.AddCommand(newInitCommand(), newConfigCommand())
	for _, e := range externalCommands {
		root.AddCommand(newExternalCommand(e))
	}
	return root
}
