package cli

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/plexicus/helm-airgap/egress"
	"github.com/plexicus/helm-airgap/rewrite"
)

func TestExitCode(t *testing.T) {
	plain := errors.New("x")
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"success", nil, ExitOK},
		{"a rewrite policy failure", &rewrite.PolicyError{Report: &rewrite.Report{}}, ExitPolicy},
		{"an egress policy failure, reported", Reported(&egress.PolicyError{}), ExitPolicy},
		{"a policy mark", Policy(plain), ExitPolicy},
		{"a failure of Helm", Failed(plain), ExitPolicy},
		{"usage", Usage(plain), ExitUsage},
		{"input", fmt.Errorf("reading: %w", &rewrite.InputError{Err: plain}), ExitUsage},
		{"usage wins over a policy error inside it", Usage(&rewrite.PolicyError{Report: &rewrite.Report{}}), ExitUsage},
		{"anything else is not a policy verdict", plain, ExitUsage},
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
