package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/spf13/cobra"
	"helm.sh/helm/v3/pkg/kube"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// Exit codes, as in helm-airgap.
const (
	exitOK     = 0
	exitFailed = 1 // a policy failure, or Helm itself failed
	exitUsage  = 2
)

// usageError marks a problem with flags, config or input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usageArgs makes an argument-count error a usage error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// reportedError is a failure whose report was already printed.
type reportedError struct{ err error }

func (e reportedError) Error() string { return e.err.Error() }
func (e reportedError) Unwrap() error { return e.err }

func main() {
	// The field manager Helm itself uses, so that resources installed here
	// and by `helm` are owned by the same manager.
	kube.ManagedFieldsManager = "helm"
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

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
	var usage usageError
	var input *rewrite.InputError
	if errors.As(err, &usage) || errors.As(err, &input) {
		return exitUsage
	}
	return exitFailed
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "helm-airgap",
		Short: "Render, install or upgrade a chart with Helm 3, rewriting every image, hooks included",
		Long: `The Helm 3 commands of helm-airgap. They run Helm 3's own template, install
and upgrade with helm-airgap as post-renderer, and rewrite every hook manifest
too: Helm 3 never passes hooks (helm.sh/hook resources) to a post-renderer, so
with plain --post-renderer hook Jobs and test Pods keep their public images.

Run them as "helm-airgap template|install|upgrade" or, with the Helm plugin
installed, "helm airgap template|install|upgrade".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newTemplateCommand(), newInstallCommand(), newUpgradeCommand(), newRollbackCommand())
	return root
}
