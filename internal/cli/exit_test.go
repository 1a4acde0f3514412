package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
)

// domainError stands for an error of another package that says its own
// exit code, as rewrite's and egress's policy and input errors do.
type domainError struct{ code int }

func (e *domainError) Error() string { return fmt.Sprintf("domain error %d", e.code) }
func (e *domainError) ExitCode() int { return e.code }

func TestExitCode(t *testing.T) {
	plain := errors.New("x")
	policy := &domainError{ExitPolicy}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, ExitOK},
		{"a domain policy failure", policy, ExitPolicy},
		{"a domain policy failure, reported and wrapped", fmt.Errorf("check: %w", Reported(policy)), ExitPolicy},
		{"a domain input error, wrapped", fmt.Errorf("reading: %w", &domainError{ExitUsage}), ExitUsage},
		{"a policy mark", Policy(plain), ExitPolicy},
		{"a failure of Helm", Failed(plain), ExitPolicy},
		{"usage", Usage(plain), ExitUsage},
		{"usage wins over a policy error inside it", Usage(policy), ExitUsage},
		{"the outermost code wins", Failed(fmt.Errorf("x: %w", &domainError{ExitUsage})), ExitPolicy},
		{"anything else is not a policy verdict", plain, ExitUsage},
		{"a joined error takes its first code", errors.Join(plain, policy), ExitPolicy},
		{"SIGINT", &InterruptedError{Signal: os.Interrupt}, 130},
		{"SIGTERM, wrapped", fmt.Errorf("install: %w", &InterruptedError{Signal: syscall.SIGTERM}), 143},
	} {
		if got := ExitCode(tc.err); got != tc.want {
			t.Errorf("%s: ExitCode(%v) = %d, want %d", tc.name, tc.err, got, tc.want)
		}
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) is not nil")
	}
}

func TestInterruptedErrorSaysWhatWasLeft(t *testing.T) {
	err := &InterruptedError{Signal: syscall.SIGHUP, Left: "nothing was written to stdout"}
	if got, want := err.Error(), "interrupted by SIGHUP; nothing was written to stdout"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestUnknownFlagSuggestion: a misspelt flag is a usage error that names
// the nearest flag; a flag nothing is near gets no guess.
func TestUnknownFlagSuggestion(t *testing.T) {
	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		root.Flags().String("mirror", "", "")
		root.Flags().String("pull-secret", "", "")
		return root
	}
	var stderr bytes.Buffer
	if code := Run(newRoot(), "x", []string{"--mirrror", "a"}, nil, io.Discard, &stderr); code != ExitUsage {
		t.Fatalf("exit %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(stderr.String(), "unknown flag: --mirrror (did you mean --mirror?)") {
		t.Errorf("stderr = %q", stderr.String())
	}
	stderr.Reset()
	Run(newRoot(), "x", []string{"--frobnicate"}, nil, io.Discard, &stderr)
	if strings.Contains(stderr.String(), "did you mean") {
		t.Errorf("a guess for a flag nothing is near: %q", stderr.String())
	}
}

// TestFlagsFromEnvironment: every flag has a HELM_AIRGAP_* variable, named
// in --help; the command line wins; a bad value is a usage error naming
// the variable.
func TestFlagsFromEnvironment(t *testing.T) {
	var mirror string
	var jobs int
	newRoot := func() *cobra.Command {
		root := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
		root.Flags().StringVar(&mirror, "mirror", "", "the mirror")
		root.Flags().IntVar(&jobs, "max-jobs", 1, "jobs")
		return root
	}
	t.Setenv("HELM_AIRGAP_MIRROR", "env.example.com/m")
	t.Setenv("HELM_AIRGAP_MAX_JOBS", "4")
	if code := Run(newRoot(), "x", nil, nil, io.Discard, io.Discard); code != ExitOK || mirror != "env.example.com/m" || jobs != 4 {
		t.Fatalf("exit %d, mirror %q, jobs %d: the environment was not applied", code, mirror, jobs)
	}
	if Run(newRoot(), "x", []string{"--mirror", "flag.example.com/m"}, nil, io.Discard, io.Discard); mirror != "flag.example.com/m" {
		t.Fatalf("mirror %q: the command line must win", mirror)
	}
	var help bytes.Buffer
	Run(newRoot(), "x", []string{"--help"}, nil, &help, io.Discard)
	if !strings.Contains(help.String(), "(env HELM_AIRGAP_MAX_JOBS)") {
		t.Errorf("--help does not name the variable:\n%s", help.String())
	}
	t.Setenv("HELM_AIRGAP_MAX_JOBS", "many")
	var stderr bytes.Buffer
	if code := Run(newRoot(), "x", nil, nil, io.Discard, &stderr); code != ExitUsage || !strings.Contains(stderr.String(), "$HELM_AIRGAP_MAX_JOBS") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	t.Setenv("ARGOCD_APP_NAME", "app")
	t.Setenv("HELM_AIRGAP_MAX_JOBS", "4")
	if Run(newRoot(), "x", nil, nil, io.Discard, io.Discard); jobs != 1 {
		t.Fatalf("jobs %d: under Argo CD the variables must not set flags", jobs)
	}
}

// TestQuietFromEnvironment: HELM_AIRGAP_QUIET is --quiet, applied before
// the quiet filter is set up.
func TestQuietFromEnvironment(t *testing.T) {
	newRoot := func() *cobra.Command {
		return &cobra.Command{Use: "x", RunE: func(cmd *cobra.Command, _ []string) error {
			Messages(cmd.ErrOrStderr()).Warnf("something")
			return nil
		}}
	}
	t.Setenv("HELM_AIRGAP_QUIET", "true")
	var stderr bytes.Buffer
	Run(newRoot(), "x", nil, nil, io.Discard, &stderr)
	if stderr.Len() != 0 {
		t.Errorf("HELM_AIRGAP_QUIET=true printed %q", stderr.String())
	}
}
