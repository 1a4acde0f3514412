package doctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// TestReadmeFromClone follows README.md as a user with a clone does: in a
// copy of the checkout (the files a clone has), its `<!-- run clone -->`
// blocks (make tools for Helm, make install, copying the example chart)
// with Helm 4 and then Helm 3 as helm, each in Helm homes of its own; then
// its quick start, each block with its Helm, the binaries found where make
// install put them ($GOBIN on PATH), not the test's.
//
// What the copy shares with this test process, and why that is honest to
// "as written": the Go build and module caches (GOCACHE, GOMODCACHE, taken
// from go env here, because helmtest points XDG_CACHE_HOME, where Go keeps
// its default build cache, at an empty directory: a copy left to that
// compiled every binary from nothing, 25 minutes under load); a user who
// ran make test or make demo has both filled the same way. And the Helm 3
// and 4 binaries with their pin stamps (build/tools/helmN, helmN.pin),
// copied into the copy's build/tools as the README's `make tools` leaves
// them: the stamp is the hash of go.mod and go.sum, which the copy shares,
// so the copy's make tools finds them up to date, as it would on a second
// run, and does not build Helm again (make tools' own building is covered
// by every make test). Each of the copy's Helms is on PATH as helm, as the
// README asks a user without Helm to arrange.
func TestReadmeFromClone(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries in a copy of the checkout")
	}
	root := testtool.ModuleRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := extract("README.md", string(data))
	if err != nil {
		t.Fatal(err)
	}
	clone := copyCheckout(t, root)
	for _, major := range []int{3, 4} {
		copyHelm(t, root, clone, major)
	}
	caches := goCaches(t)
	gobin := t.TempDir()
	for _, major := range []int{4, 3} {
		h := helmtest.New(t, major)
		helmDir := t.TempDir()
		if err := os.Symlink(filepath.Join(clone, "build", "tools", map[int]string{3: testtool.Helm3, 4: testtool.Helm4}[major]), filepath.Join(helmDir, "helm")); err != nil {
			t.Fatal(err)
		}
		env := &environment{root: root, helms: map[int]*helmtest.Helm{major: h}, path: map[int]string{
			major: helmDir + string(os.PathListSeparator) + gobin + string(os.PathListSeparator) + os.Getenv("PATH"),
		}}
		h.Setenv("GOBIN", gobin)
		for k, v := range caches {
			h.Setenv(k, v)
		}
		cloned := 0
		for _, b := range blocks {
			if b.clone {
				b.helm = major
				start := time.Now()
				env.run(t, clone, b)
				t.Logf("Helm %d: README.md:%d in %s: %s", major, b.line, time.Since(start).Round(time.Millisecond), strings.TrimSpace(b.script))
				cloned++
			}
		}
		if cloned == 0 {
			t.Fatal("README.md has no <!-- run clone --> block: the install from a clone is not tested")
		}
		for _, b := range blocks {
			if !b.clone && b.helm == major {
				env.run(t, clone, b)
			}
		}
	}
}

// copyCheckout copies the files a clone of the checkout holds (tracked, and
// new files not ignored) into a new directory.
func copyCheckout(t *testing.T, root string) string {
	dir := t.TempDir()
	cmd := exec.Command("sh", "-c", `git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$0"`, dir)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copying the checkout: %v\n%s", err, out)
	}
	return dir
}

// copyHelm puts the checkout's Helm major and its pin stamp into the
// copy's build/tools, as make tools leaves them.
func copyHelm(t *testing.T, root, clone string, major int) {
	name := map[int]string{3: testtool.Helm3, 4: testtool.Helm4}[major]
	bin := testtool.Tool(t, name)
	dst := filepath.Join(clone, "build", "tools", name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", ".pin"} {
		cp := exec.Command("cp", "-p", bin+suffix, dst+suffix)
		if out, err := cp.CombinedOutput(); err != nil {
			t.Fatalf("copying %s into the copy: %v\n%s", name+suffix, err, out)
		}
	}
}

// goCaches are this process's Go build and module caches, which the copy
// reuses (see TestReadmeFromClone).
func goCaches(t *testing.T) map[string]string {
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE GOMODCACHE: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 || lines[0] == "" || lines[1] == "" {
		t.Fatalf("go env GOCACHE GOMODCACHE: got %q", out)
	}
	return map[string]string{"GOCACHE": lines[0], "GOMODCACHE": lines[1]}
}
