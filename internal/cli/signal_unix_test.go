//go:build unix

package cli

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
)

// TestSignalContext: SIGINT cancels the context, and the error of the work
// it stopped becomes an interruption that exits 130 saying what was left.
func TestSignalContext(t *testing.T) {
	ctx := NewSignalContext()
	defer ctx.Stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done() // the handler has seen the signal
	err := ctx.Interrupted(context.Canceled, "the release is as Helm left it")
	var interrupted *InterruptedError
	if !errors.As(err, &interrupted) || ExitCode(err) != 130 || err.Error() != "interrupted by SIGINT; the release is as Helm left it" {
		t.Errorf("%v (exit %d), want an interruption exiting 130", err, ExitCode(err))
	}
	if got := ctx.Interrupted(nil, "x"); got != nil {
		t.Errorf("success after a signal became %v", got)
	}
}
