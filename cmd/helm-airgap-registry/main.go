package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit codes, as in helm-airgap.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	// exitInterrupted is 128+SIGINT, as shells report a Ctrl-C.
	exitInterrupted = 130
)

// usageError marks a problem with flags, config or inputs.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// failedError is a run that went through but left images failed or
// missing (its report was printed; the error is its last line), or that
// found images with no destination.
type failedError struct{ err error }

func (e failedError) Error() string { return e.err.Error() }
func (e failedError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var failed failedError
	var policy *rewrite.PolicyError
	if errors.As(err, &policy) {
		// The engine's report (unmapped images, collisions) was printed.
		return exitFailed
	}
	fmt.Fprintf(stderr, "helm-airgap: %v\n", err)
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "helm-airgap: interrupted; nothing was left under a final name half-written (run the same command again to resume)")
		return exitInterrupted
	}
	if errors.As(err, &failed) {
		return exitFailed
	}
	return exitUsage
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
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newMirrorCommand(), newVerifyCommand(), newResolveCommand())
	return root
}
