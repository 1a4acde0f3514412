package controlplane

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/plexicus/helm-airgap/internal/testproc"
)

// process is one running control-plane binary with its log file.
type process struct {
	*testproc.Process
	name string
	log  string
}

// startProcess runs binary with args, its output going to log.
func startProcess(name, binary, log string, args ...string) (*process, error) {
	out, err := os.Create(log)
	if err != nil {
		return nil, fmt.Errorf("creating the %s log: %w", name, err)
	}
	defer out.Close() // the child has its own copy once started
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := testproc.Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, binary, err)
	}
	return &process{Process: p, name: name, log: log}, nil
}

// running reports an error if the process has already exited.
func (p *process) running() error {
	select {
	case <-p.Exited():
		return fmt.Errorf("%s exited (%v):\n%s", p.name, p.Err(), p.logTail())
	default:
		return nil
	}
}

// stop asks the process to end and kills it if it has not within a while.
func (p *process) stop() { p.Stop(15 * time.Second) }

// logTail is the end of the process's log, for error messages.
func (p *process) logTail() string {
	data, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}
