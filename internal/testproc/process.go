package testproc

import (
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Process is a started child process.
type Process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has exited
	err    error         // why it exited; read after exited is closed
}

// Start starts cmd, its streams already set, and waits for it on one
// locked OS thread: the parent-death signal fires when the thread that
// started a child exits, and a locked thread lives as long as its
// goroutine does.
func Start(cmd *exec.Cmd) (*Process, error) {
	dieWithParent(cmd)
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.exited)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Err is why the process exited; valid once Exited is closed.
func (p *Process) Err() error { return p.err }

// Stop asks the process to end and kills it if it has not within grace.
func (p *Process) Stop(grace time.Duration) {
	p.StopWhen(grace, func() bool { return false })
}

// StopWhen asks the process to end and kills it once stopped reports true
// or grace has passed, whichever comes first: for a server that answers
// SIGTERM by ceasing to serve without exiting, which would otherwise cost
// the whole grace period.
func (p *Process) StopWhen(grace time.Duration, stopped func() bool) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	deadline := time.After(grace)
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-p.exited:
			return
		case <-poll.C:
			if !stopped() {
				continue
			}
		case <-deadline:
		}
		_ = p.cmd.Process.Kill()
		<-p.exited
		return
	}
}
