package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/rewrite"
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

// Exit codes.
const (
	exitOK     = 0
	exitPolicy = 1
	exitUsage  = 2
)

// usageError marks a problem with flags, config or environment.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// reportedError is a failure whose report was already printed.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	var reported reportedError
	if !errors.As(err, &reported) {
		fmt.Fprintf(stderr, "helm-airgap: %v\n", err)
	}
	return exitCode(err)
}

func exitCode(err error) int {
	var policy *rewrite.PolicyError
	var egressPolicy *egress.PolicyError
	if errors.As(err, &policy) || errors.As(err, &egressPolicy) {
		return exitPolicy
	}
	return exitUsage
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
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newRewriteCommand(), newCheckCommand(), newVersionCommand())
	root.AddCommand(newImagesCommand())
	root.AddCommand(newInitCommand())
	for _, e := range externalCommands {
		root.AddCommand(newExternalCommand(e))
	}
	return root
}
