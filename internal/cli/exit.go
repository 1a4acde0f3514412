package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes, the same for every binary.
const (
	ExitOK     = 0
	ExitPolicy = 1 // a public reference, a collision, a strict egress finding
	ExitUsage  = 2 // usage, config or input error
	// ExitSignal plus the signal number is the exit code of an interrupted
	// run, as a shell reports a process killed by that signal (130 for
	// SIGINT).
	ExitSignal = 128
)

// exitCoder is an error that says its exit code: the marks below, and
// the domain errors of the engine and the egress audit (a policy failure
// exits ExitPolicy, bad input ExitUsage), so that this package needs to
// know none of them.
type exitCoder interface{ ExitCode() int }

// UsageError marks a problem with flags, config, environment or input
// (exit 2).
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// ExitCode is ExitUsage.
func (e UsageError) ExitCode() int { return ExitUsage }

// Usage marks err as a usage, config or input error. Nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return UsageError{err}
}

// Usagef is Usage(fmt.Errorf(...)).
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// policyError marks a policy failure that carries no exit code of its own
// (the KRM function's results, say).
type policyError struct{ err error }

func (e policyError) Error() string { return e.err.Error() }
func (e policyError) Unwrap() error { return e.err }
func (e policyError) ExitCode() int { return ExitPolicy }

// Policy marks err as a policy failure (exit 1).
func Policy(err error) error { return policyError{err} }

// failedError marks a failure of something helm-airgap drives (Helm, a
// cluster): exit 1, as the tool itself would.
type failedError struct{ err error }

func (e failedError) Error() string { return e.err.Error() }
func (e failedError) Unwrap() error { return e.err }
func (e failedError) ExitCode() int { return ExitPolicy }

// Failed marks err as a failure of the tool helm-airgap drives (exit 1).
func Failed(err error) error { return failedError{err} }

// ReportedError is a failure whose report was already printed: Run prints
// nothing more. It keeps the exit code of the error it wraps.
type ReportedError struct{ Err error }

func (e ReportedError) Error() string { return e.Err.Error() }
func (e ReportedError) Unwrap() error { return e.Err }

// Reported marks err as already printed.
func Reported(err error) error { return ReportedError{err} }

// IsReported reports whether err was marked by Reported.
func IsReported(err error) bool {
	var r ReportedError
	return errors.As(err, &r)
}

// ExitCode is the exit code for an error: 0 for nil, else the code of the
// outermost error in its chain that says one (a usage mark around a policy
// error is a usage error; 128+N for a run interrupted by signal N; 1 for a
// policy failure or a failure of the tool driven), and 2 when none does
// (usage, config, input, I/O): an error that says nothing of the policy
// must not pass for a policy verdict.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var coder exitCoder
	if errors.As(err, &coder) {
		return coder.ExitCode()
	}
	return ExitUsage
}

// Run executes root with the arguments and streams, prints an error that
// was not reported yet as "<prefix>: <error>", and returns the exit code.
// Flag errors are usage errors.
func Run(root *cobra.Command, prefix string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return finish(execute(root, prefix, args, stdin, stdout, stderr), prefix, stderr)
}

// RunInterruptible is Run for commands that stop cleanly on their own when
// their context is cancelled (copies to a registry): SIGINT, SIGTERM and
// SIGHUP cancel the context, and the run then exits 128+N saying left.
func RunInterruptible(root *cobra.Command, prefix, left string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx := NewSignalContext()
	defer ctx.Stop()
	root.SetContext(ctx)
	return finish(ctx.Interrupted(execute(root, prefix, args, stdin, stdout, stderr), left), prefix, stderr)
}

func execute(root *cobra.Command, prefix string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	messages := NewReporter(stderr, prefix, LevelInfo)
	root.SetArgs(append([]string{}, args...)) // never nil: cobra would read os.Args
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(messages)
	root.SilenceUsage, root.SilenceErrors = true, true
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return Usage(suggestFlag(cmd, err)) })
	addOutputFlags(root)
	nameEnv(root)
	next := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		// The environment first: HELM_AIRGAP_QUIET=true is --quiet.
		if err := applyEnv(cmd.Flags()); err != nil {
			return err
		}
		messages.cmd = cmd
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
	return root.Execute()
}

// suggestFlag adds the nearest flag name to an unknown-flag error:
// "unknown flag: --mirrror (did you mean --mirror?)".
func suggestFlag(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return err
	}
	best, bestDistance := "", 3 // suggest only close misspellings
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if d := levenshtein.ComputeDistance(name, f.Name); d < bestDistance {
			best, bestDistance = f.Name, d
		}
	})
	if best == "" {
		return err
	}
	return fmt.Errorf("%w (did you mean --%s?)", err, best)
}

func finish(err error, prefix string, stderr io.Writer) int {
	if err != nil && !IsReported(err) {
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	}
	return ExitCode(err)
}

// Args makes an argument-count error a usage error.
func Args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		return Usage(check(cmd, args))
	}
}

// Name is a file name as messages show it: as it is when it is plain
// printable text, quoted (Go syntax) when it holds a line break, a control
// character, white space or a quote, so that a hostile file name can never
// forge a line of output (file:line positions stay readable).
func Name(name string) string {
	if q := strconv.Quote(name); q[1:len(q)-1] != name || strings.ContainsAny(name, " \t'") || name == "" {
		return q
	}
	return name
}

// Unoffered hides flags a command shares with others but has no use for
// (pull secrets when nothing is written): they stay accepted, so one set of
// flags works across commands, but help and completion do not offer them.
func Unoffered(cmd *cobra.Command, names ...string) {
	for _, name := range names {
		if cmd.Flags().Lookup(name) != nil {
			cmd.Flags().MarkHidden(name)
		}
	}
}
