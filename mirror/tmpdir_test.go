package mirror

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStaleExtractionsAreRemoved is issue 23 item 6: a run killed with
// SIGKILL while it holds an extracted archive leaves it in $TMPDIR; the
// next run removes it, and never the extraction of a run still going.
func TestStaleExtractionsAreRemoved(t *testing.T) {
	if bundle := os.Getenv("HELM_AIRGAP_TEST_HOLD_ARCHIVE"); bundle != "" {
		// The child: open the archive, say where, wait to be killed.
		a, err := OpenArchive(context.Background(), bundle)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("extracted")
		_ = a
		time.Sleep(time.Hour)
		return
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	f := newFixture(t)
	bundle := archiveOf(t, f, ArchiveOptions{Prefixes: []string{f.dst.Host}})

	cmd := exec.Command(os.Args[0], "-test.run=^TestStaleExtractionsAreRemoved$")
	cmd.Env = append(os.Environ(), "HELM_AIRGAP_TEST_HOLD_ARCHIVE="+bundle)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "extracted" {
		cmd.Process.Kill()
		t.Fatalf("the child said %q", line)
	}
	killed := extractions(t, tmp)
	if len(killed) != 1 {
		t.Fatalf("extractions while the child runs: %v", killed)
	}
	// A live run's extraction is kept.
	live, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed[0]); err != nil {
		t.Errorf("the extraction of a run still going was removed: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(killed[0]); err != nil {
		t.Fatalf("SIGKILL removed the extraction (%v): the test proves nothing", err)
	}
	again, err := OpenArchive(context.Background(), bundle)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killed[0]); !os.IsNotExist(err) {
		t.Errorf("the killed run's extraction is still there: %v", err)
	}
	if got := len(extractions(t, tmp)); got != 2 {
		t.Errorf("%d extractions, want the two open ones", got)
	}
	again.Close()
	live.Close()
	if got := extractions(t, tmp); len(got) != 0 {
		t.Errorf("left after closing: %v", got)
	}
}

// extractions lists the extraction directories and lock files in dir.
func extractions(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, extractPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, p := range m {
		if !strings.HasSuffix(p, lockSuffix) {
			dirs = append(dirs, p)
		} else if _, err := os.Stat(strings.TrimSuffix(p, lockSuffix)); err != nil {
			t.Errorf("a lock file without its extraction: %s", p)
		}
	}
	return dirs
}
