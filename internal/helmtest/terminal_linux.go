package helmtest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair (posix_openpt, unlockpt, ptsname).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("opening /dev/ptmx: %w", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("unlocking the pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("naming the pty: %w", err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// TerminalSupported says whether RunWithTerminal works here.
func TerminalSupported() bool {
	m, s, err := openPTY()
	if err != nil {
		return false
	}
	m.Close()
	s.Close()
	return true
}

// runWithTerminal is WithTerminal.
func runWithTerminal(cmd *exec.Cmd, stderrIsTerminal bool) (string, error) {
	master, slave, err := openPTY()
	if err != nil {
		return "", err
	}
	defer master.Close()
	cmd.ExtraFiles = append(cmd.ExtraFiles, slave)
	ctty := 2 + len(cmd.ExtraFiles)
	if stderrIsTerminal {
		cmd.Stderr = slave
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: ctty}
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(&out, master) // ends with EIO once every holder of the slave is gone
	}()
	err = cmd.Run()
	slave.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		master.Close()
		<-done
	}
	return strings.ReplaceAll(out.String(), "\r\n", "\n"), err
}

// OpenPTY opens a pseudo-terminal pair for tests that need a terminal on
// standard input: write to master what a person would type.
func OpenPTY() (master, slave *os.File, err error) { return openPTY() }
