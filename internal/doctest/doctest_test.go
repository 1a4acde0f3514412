package doctest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/helmtest"
	"github.com/plexicus/helm-airgap/internal/testtool"
)

// block is one runnable fenced block.
type block struct {
	file   string
	line   int // of the opening fence
	script string
	helm   int  // 3 or 4
	exit   int  // the exit code it must end with
	clone  bool // runs in a copy of the checkout (TestReadmeFromClone)
}

// marker is the comment that makes the next sh block runnable.
const marker = "<!-- run"

// extract returns the runnable blocks of a Markdown file, in order.
func extract(name string, text string) ([]block, error) {
	var out []block
	var pending *block
	var body *strings.Builder
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case body != nil:
			if trimmed == "```" {
				pending.script = body.String()
				out = append(out, *pending)
				pending, body = nil, nil
				continue
			}
			body.WriteString(line + "\n")
		case strings.HasPrefix(trimmed, marker):
			b, err := parseMarker(trimmed)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, n, err)
			}
			b.file = name
			pending = &b
		case pending != nil && strings.HasPrefix(trimmed, "```"):
			if trimmed != "```sh" && trimmed != "```bash" {
				return nil, fmt.Errorf("%s:%d: a run marker must precede a ```sh block, found %q", name, n, trimmed)
			}
			pending.line = n
			body = &strings.Builder{}
		case pending != nil && trimmed != "":
			return nil, fmt.Errorf("%s:%d: a run marker must be followed by a ```sh block", name, n)
		}
	}
	if pending != nil {
		return nil, fmt.Errorf("%s: a run marker at the end of the file runs nothing", name)
	}
	return out, sc.Err()
}

// parseMarker reads "<!-- run [helm3] [exit=N] -->".
func parseMarker(s string) (block, error) {
	b := block{helm: 4}
	inner := strings.TrimSuffix(strings.TrimPrefix(s, marker), "-->")
	for _, word := range strings.Fields(inner) {
		switch {
		case word == "helm3":
			b.helm = 3
		case word == "clone":
			b.clone = true
		case strings.HasPrefix(word, "exit="):
			code, err := strconv.Atoi(strings.TrimPrefix(word, "exit="))
			if err != nil {
				return b, fmt.Errorf("run marker %q: %w", s, err)
			}
			b.exit = code
		default:
			return b, fmt.Errorf("run marker %q: unknown word %q (want helm3, clone or exit=N)", s, word)
		}
	}
	return b, nil
}

func TestExtract(t *testing.T) {
	doc := "# t\n<!-- run -->\n```sh\necho one\n```\n\n```sh\necho not run\n```\n<!-- run helm3 exit=1 -->\n\n```sh\nfalse\n```\n"
	got, err := extract("t.md", doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []block{{file: "t.md", line: 3, script: "echo one\n", helm: 4}, {file: "t.md", line: 12, script: "false\n", helm: 3, exit: 1}}
	if b, err := parseMarker("<!-- run clone -->"); err != nil || !b.clone || b.helm != 4 {
		t.Errorf("clone marker: %+v, %v", b, err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"<!-- run -->\ntext\n```sh\nx\n```\n", "<!-- run -->\n```yaml\nx: 1\n```\n", "<!-- run helm2 -->\n```sh\nx\n```\n", "<!-- run -->\n"} {
		if _, err := extract("bad.md", bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// docs are the user docs whose commands are run.
func docs(t *testing.T) []string {
	root := testtool.ModuleRoot(t)
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(root, "README.md")}, files...)
}

// TestDocs runs every runnable block of the user docs.
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Helm and the binaries")
	}
	root := testtool.ModuleRoot(t)
	var env *environment
	total := 0
	for _, file := range docs(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		blocks, err := extract(rel, string(data))
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) == 0 {
			continue
		}
		if env == nil {
			env = newEnvironment(t)
		}
		total += len(blocks)
		t.Run(rel, func(t *testing.T) {
			dir := env.workdir(t)
			for _, b := range blocks {
				if !b.clone {
					env.run(t, dir, b)
				}
			}
		})
	}
	if total == 0 {
		t.Fatal("no runnable block in the docs: the markers are gone")
	}
}

// environment is the Helms and binaries the blocks run with.
type environment struct {
	root  string
	helms map[int]*helmtest.Helm
	path  map[int]string // PATH for each Helm
}

func newEnvironment(t *testing.T) *environment {
	e := &environment{root: testtool.ModuleRoot(t), helms: map[int]*helmtest.Helm{}, path: map[int]string{}}
	checkout := helmtest.Checkout(t)
	bin := filepath.Join(checkout, "bin")
	for _, name := range []string{"helm-airgap-registry", "helm-airgap-krm", "helm-airgap-cluster"} {
		if err := os.Symlink(testtool.Command(t, name), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, major := range []int{3, 4} {
		h := helmtest.New(t, major)
		h.InstallPlugins(checkout)
		helmDir := t.TempDir()
		if err := os.Symlink(h.Path, filepath.Join(helmDir, "helm")); err != nil {
			t.Fatal(err)
		}
		e.helms[major] = h
		e.path[major] = helmDir + string(os.PathListSeparator) + bin + string(os.PathListSeparator) + os.Getenv("PATH")
	}
	return e
}

// workdir is a fresh directory with the bundled chart and its config.
func (e *environment) workdir(t *testing.T) string {
	dir := t.TempDir()
	cp := exec.Command("cp", "-R", filepath.Join(e.root, "testdata", "charts", "platform"), filepath.Join(dir, "platform"))
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("copying the chart: %v\n%s", err, out)
	}
	config, err := os.ReadFile(filepath.Join(e.root, "testdata", "charts", "airgap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "airgap.yaml"), config, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (e *environment) run(t *testing.T, dir string, b block) {
	t.Helper()
	cmd := exec.Command("bash", "-eo", "pipefail", "-c", b.script)
	cmd.Dir = dir
	cmd.Env = append(e.helms[b.helm].Environ(), "PATH="+e.path[b.helm], "HELM_AIRGAP_NO_HOOK_WARNING=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("%s:%d: %v", b.file, b.line, err)
	}
	if code != b.exit {
		t.Errorf("%s:%d: exit %d, want %d\n--- script\n%s--- stdout\n%s--- stderr\n%s", b.file, b.line, code, b.exit, b.script, tail(stdout.String()), tail(stderr.String()))
	}
}

// tail keeps the end of a long output.
func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "...\n" + s[len(s)-max:]
	}
	return s
}
