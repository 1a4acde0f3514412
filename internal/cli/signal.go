package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Signals that stop a run: Ctrl-C, kill, and a closed terminal.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// InterruptedError is a run stopped by a signal. Left says what the run
// left as it was ("nothing was written to stdout").
type InterruptedError struct {
	Signal os.Signal
	Left   string
}

func (e *InterruptedError) Error() string {
	msg := "interrupted by " + signalName(e.Signal)
	if e.Left != "" {
		msg += "; " + e.Left
	}
	return msg
}

// ExitCode is 128 plus the signal's number, as a shell reports it.
func (e *InterruptedError) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return ExitSignal + int(s)
	}
	return ExitSignal + int(syscall.SIGINT)
}

func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// cleanups run when a signal stops the process.
var (
	cleanupMu sync.Mutex
	cleanups  = map[int]func(){}
	nextID    int
)

// OnInterrupt registers f to run if a signal stops the process (temporary
// files to remove); call the returned function once f is no longer needed.
func OnInterrupt(f func()) (done func()) {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	id := nextID
	nextID++
	cleanups[id] = f
	return func() {
		cleanupMu.Lock()
		delete(cleanups, id)
		cleanupMu.Unlock()
	}
}

func runCleanups() {
	cleanupMu.Lock()
	defer cleanupMu.Unlock()
	for id, f := range cleanups {
		f()
		delete(cleanups, id)
	}
}

// ExitOnSignal makes SIGINT, SIGTERM and SIGHUP end the process the same
// way everywhere: the registered cleanups run, "<prefix>: interrupted by
// SIGINT; <left()>" goes to stderr, and the exit code is 128+signal. left
// says what the run leaves as it was at that moment. Call stop to restore
// the default handling.
func ExitOnSignal(prefix string, stderr io.Writer, left func() string) (stop func()) {
	return onSignal(func(s os.Signal) {
		runCleanups()
		err := &InterruptedError{Signal: s, Left: left()}
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		os.Exit(err.ExitCode())
	})
}

// onSignal calls handle, once, with the first stop signal that arrives
// before stop is called.
func onSignal(handle func(os.Signal)) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, stopSignals...)
	quit := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			handle(s)
		case <-quit:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(quit)
	}
}

// SignalContext is a context cancelled by SIGINT, SIGTERM or SIGHUP, for
// work that stops cleanly on its own (a Helm install); Interrupted turns
// the error of such work into an *InterruptedError once the context was
// cancelled by a signal.
type SignalContext struct {
	context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	signal os.Signal
	stop   func()
}

// NewSignalContext starts listening for the stop signals.
func NewSignalContext() *SignalContext {
	ctx, cancel := context.WithCancel(context.Background())
	s := &SignalContext{Context: ctx, cancel: cancel}
	s.stop = onSignal(func(sig os.Signal) {
		s.mu.Lock()
		s.signal = sig
		s.mu.Unlock()
		cancel()
	})
	return s
}

// Stop releases the signal handler.
func (s *SignalContext) Stop() { s.stop(); s.cancel() }

// Interrupted returns err as an *InterruptedError saying left, when a
// signal cancelled the context; otherwise err itself.
func (s *SignalContext) Interrupted(err error, left string) error {
	s.mu.Lock()
	sig := s.signal
	s.mu.Unlock()
	if err == nil || sig == nil {
		return err
	}
	return &InterruptedError{Signal: sig, Left: left}
}
