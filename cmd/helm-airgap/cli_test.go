package main

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The CLI contract, tested on the real binary: built once by TestMain with
// a known version, run with stdin/stdout like Helm runs a post-renderer.

const testVersion = "v0.0.0-clitest"

// cliBinary is the helm-airgap built by TestMain.
var cliBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "helm-airgap-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cliBinary = filepath.Join(dir, "helm-airgap")
	// Built as make build and testtool build the binaries (-trimpath, no
	// cgo), also under make test-race's CGO_ENABLED=1: so it reuses their
	// compiled packages instead of compiling each again with cgo.
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+testVersion, "-o", cliBinary, ".")
	build.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building helm-airgap: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the binary in dir with stdin and a clean environment (no
// HELM_AIRGAP_* or Argo CD variables from the caller) plus env.
func runCLI(t *testing.T, dir string, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(cliBinary, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_AIRGAP_") && !strings.HasPrefix(kv, "ARGOCD_") && !strings.HasPrefix(kv, "PARAM_") && !strings.HasPrefix(kv, "HELM_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// Keep failure reports (report.go) out of the real user cache.
	cache := t.TempDir()
	cmd.Env = append(cmd.Env, "HOME="+cache, "XDG_CACHE_HOME="+cache)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running helm-airgap: %v", err)
	}
	r := result{stdout.String(), stderr.String(), code}
	if r.code != 0 && r.stdout != "" {
		t.Fatalf("exit %d with %d bytes on stdout: stdout must be empty on failure\n%s", r.code, len(r.stdout), r.stdout)
	}
	return r
}

func (r result) want(t *testing.T, code int, stderr ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, code, r.stderr)
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not contain %q:\n%s", s, r.stderr)
		}
	}
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const cliConfig = `mirror: registry.internal.example.com/mirror
rules:
  - from: docker.io/bitnamilegacy
    to: registry.internal.example.com/bitnami
pullSecrets: [regcred]
allow: [registry.internal.example.com]
`

// rulesOnly has no catch-all: anything off docker.io/bitnamilegacy is public.
const rulesOnly = `rules:
  - from: docker.io/bitnamilegacy
    to: registry.internal.example.com/bitnami
allow: [registry.internal.example.com]
`

const cliPod = `# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
spec:
  containers:
    - name: app
      image: "docker.io/bitnamilegacy/redis:7"
`

const cliPodRewritten = `# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
spec:
  imagePullSecrets:
    - name: regcred
  containers:
    - name: app
      image: "registry.internal.example.com/bitnami/redis:7"
`

const cliPublic = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/org/api:1
          args: ["--helper-image=ghcr.io/org/helper:2"]
        - name: cache
          image: quay.io/org/cache:3
`

// TestCLIUmbrella runs the bundled umbrella example through stdin and
// stdout, as Helm does, and compares with the golden output.
func TestCLIUmbrella(t *testing.T) {
	root := filepath.Join("..", "..", "testdata", "umbrella")
	input := readFile(t, filepath.Join(root, "input.yaml"))
	config, _ := filepath.Abs(filepath.Join(root, "config.yaml"))
	r := runCLI(t, t.TempDir(), nil, input, "rewrite", "--config", config)
	r.want(t, 0)
	if r.stdout != readFile(t, filepath.Join(root, "expected.yaml")) {
		t.Fatalf("stdout differs from testdata/umbrella/expected.yaml:\n%s", r.stdout)
	}
	again := runCLI(t, t.TempDir(), nil, r.stdout, "rewrite", "-c", config)
	again.want(t, 0)
	if again.stdout != r.stdout {
		t.Fatal("rewriting the output again changed it")
	}
	runCLI(t, t.TempDir(), nil, r.stdout, "check", "--config", config).want(t, 0, "no public references")
}

// TestCLIExitCodes: 0 success, 1 policy failure, 2 usage, config or input
// error; stdout empty on every non-zero exit (cli checks that).
func TestCLIExitCodes(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airgap.yaml"), cliConfig)
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	writeFile(t, filepath.Join(dir, "bad.yaml"), "mirror: registry.internal.example.com/m\nmirrors: typo\n")
	writeFile(t, filepath.Join(dir, "public.yaml"), "mirror: docker.io/me\n")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr []string
	}{
		{"rewritten", cliPod, []string{"rewrite", "-c", "airgap.yaml"}, 0, nil},
		{"public reference", cliPublic, []string{"rewrite", "-c", "rules.yaml"}, 1, []string{
			"3 image reference(s) still point at a registry",
			"ghcr.io (2):",
			"    Deployment prod/api: container api (spec.template.spec.containers[0].image): ghcr.io/org/api:1\n",
			"    Deployment prod/api: container api (spec.template.spec.containers[0].args[0]): ghcr.io/org/helper:2\n",
			"hint: add a rule {from: ghcr.io, to: registry.internal.example.com/ghcr.io}",
			"quay.io (1):",
			"    Deployment prod/api: container cache (spec.template.spec.containers[1].image): quay.io/org/cache:3\n",
		}},
		{"collision", "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: a, image: docker.io/x/app:1}\n    - {name: b, image: quay.io/x/app:1}\n",
			[]string{"rewrite", "-c", "airgap.yaml"}, 1, []string{"docker.io/x/app and quay.io/x/app would both be mirrored to registry.internal.example.com/mirror/x/app"}},
		{"malformed YAML", cliPod + "---\nkind: Pod\nspec: {containers: [\n", []string{"rewrite", "-c", "airgap.yaml"}, 2, []string{"document 2 (line 11)", "invalid YAML"}},
		{"duplicate key", cliPod + "      image: nginx\n", []string{"rewrite", "-c", "airgap.yaml"}, 2, []string{"document 1 (line 1)", "Pod prod/web", `duplicate key "image"`}},
		{"non-object document", cliPod + "---\n- image: nginx\n", []string{"rewrite", "-c", "airgap.yaml"}, 2, []string{"document 2 (line 11)", "expected a Kubernetes object"}},
		{"invalid reference", strings.Replace(cliPod, "docker.io/bitnamilegacy/redis:7", "{{ .Values.image }}", 1), []string{"rewrite", "-c", "airgap.yaml"}, 2,
			[]string{"Pod prod/web", "container app", `"{{ .Values.image }}"`}},
		{"document over the limit", cliPod, []string{"rewrite", "-c", "airgap.yaml", "--max-document-size", "100"}, 2, []string{"document 1 (line 1)", "limit"}},
		{"unknown config key", cliPod, []string{"rewrite", "-c", "bad.yaml"}, 2, []string{"bad.yaml:2: mirrors: unknown key"}},
		{"public mirror", cliPod, []string{"rewrite", "-c", "public.yaml"}, 2, []string{"public.yaml:1: mirror:", "public registry"}},
		{"missing config", cliPod, []string{"rewrite", "-c", "missing.yaml"}, 2, []string{"missing.yaml"}},
		{"missing input", cliPod, []string{"rewrite", "-c", "airgap.yaml", "nothing-here.yaml"}, 2, []string{"nothing-here.yaml"}},
		{"bad --rule", cliPod, []string{"rewrite", "-c", "airgap.yaml", "--rule", "docker.io"}, 2, []string{"--rule", "FROM=TO"}},
		{"public --rule destination", cliPod, []string{"rewrite", "-c", "airgap.yaml", "--rule", "quay.io=ghcr.io/me"}, 2, []string{"--rule quay.io=ghcr.io/me:", "public registry"}},
		{"unknown flag", cliPod, []string{"rewrite", "--no-such-flag"}, 2, []string{"unknown flag"}},
		{"unknown command", "", []string{"no-such-command"}, 2, []string{"unknown command"}},
		{"check passes", cliPodRewritten, []string{"check", "-c", "airgap.yaml"}, 0, []string{"no public references"}},
		{"check fails", cliPod, []string{"check", "-c", "airgap.yaml"}, 1, []string{
			"    Pod prod/web: container app (spec.containers[0].image): docker.io/bitnamilegacy/redis:7\n",
			"run the manifests through helm-airgap rewrite",
		}},
		{"check on bad input", "- image: nginx\n", []string{"check", "-c", "airgap.yaml"}, 2, []string{"document 1 (line 1)"}},
		{"check with no config at all", cliPod, []string{"check"}, 1, []string{"docker.io (1):", "<your-registry>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, dir, nil, tt.stdin, tt.args...)
			r.want(t, tt.code, tt.stderr...)
			if tt.code == 0 && tt.args[0] == "check" && r.stdout != "" {
				t.Fatalf("check wrote to stdout:\n%s", r.stdout)
			}
		})
	}
}

func TestCLIRewriteOutput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airgap.yaml"), cliConfig)
	r := runCLI(t, dir, nil, cliPod, "rewrite", "-c", "airgap.yaml")
	r.want(t, 0)
	if r.stdout != cliPodRewritten {
		t.Fatalf("stdout:\n%s\nwant:\n%s", r.stdout, cliPodRewritten)
	}
	if r.stderr != "" {
		t.Errorf("a successful rewrite printed on stderr: %s", r.stderr)
	}
	v := runCLI(t, dir, nil, cliPod, "rewrite", "-c", "airgap.yaml", "-v")
	v.want(t, 0, "1 document(s), 1 image reference(s), 1 rewritten, 1 pod spec(s) given pull secrets")
}

func TestCLIEmptyInput(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airgap.yaml"), cliConfig)
	r := runCLI(t, dir, nil, "", "rewrite", "-c", "airgap.yaml")
	r.want(t, 0, "the input is empty")
	if r.stdout != "" {
		t.Fatalf("stdout %q for empty input", r.stdout)
	}
	for _, blank := range []string{"\n", "  \n", "# only a comment\n", "---\n"} {
		r := runCLI(t, dir, nil, blank, "rewrite", "-c", "airgap.yaml")
		r.want(t, 0)
		if r.stdout != blank {
			t.Errorf("input %q gave stdout %q; non-empty input must never give empty output", blank, r.stdout)
		}
	}
}

// TestCLIConfigSources: --config, then $HELM_AIRGAP_CONFIG; flags add to
// and override the file.
func TestCLIConfigSources(t *testing.T) {
	dir := t.TempDir()
	envConfig := writeFile(t, filepath.Join(dir, "env.yaml"), "mirror: env.internal.example.com/mirror\npullSecrets: [env-secret]\n")
	flagConfig := writeFile(t, filepath.Join(dir, "flag.yaml"), "mirror: flag.internal.example.com/mirror\n")
	pod := "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: quay.io/org/app:1\n"
	env := []string{"HELM_AIRGAP_CONFIG=" + envConfig}

	r := runCLI(t, dir, env, pod, "rewrite")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "image: env.internal.example.com/mirror/org/app:1") || !strings.Contains(r.stdout, "- name: env-secret") {
		t.Fatalf("config from $HELM_AIRGAP_CONFIG not used:\n%s", r.stdout)
	}

	r = runCLI(t, dir, env, pod, "rewrite", "--config", flagConfig)
	r.want(t, 0)
	if !strings.Contains(r.stdout, "image: flag.internal.example.com/mirror/org/app:1") || strings.Contains(r.stdout, "env-secret") {
		t.Fatalf("--config must win over $HELM_AIRGAP_CONFIG:\n%s", r.stdout)
	}

	r = runCLI(t, dir, env, pod, "rewrite",
		"--mirror", "cli.internal.example.com/m",
		"--rule", "quay.io/org=rule.internal.example.com/org",
		"--pull-secret", "cli-secret", "--pull-secret", "env-secret")
	r.want(t, 0)
	for _, want := range []string{"image: rule.internal.example.com/org/app:1", "- name: env-secret\n", "- name: cli-secret\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("flags on top of the file: output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Count(r.stdout, "env-secret") != 1 {
		t.Errorf("a pull secret from both the file and a flag appears twice:\n%s", r.stdout)
	}

	r = runCLI(t, dir, env, "kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: quay.io/org/app:1}, {name: b, image: other.internal.example.com/x:1}]\n",
		"rewrite", "--mirror", "cli.internal.example.com/m", "--allow", "other.internal.example.com")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "image: cli.internal.example.com/m/org/app:1}") || !strings.Contains(r.stdout, "image: other.internal.example.com/x:1}") {
		t.Fatalf("--mirror must replace the file's and --allow must add a domain:\n%s", r.stdout)
	}

	missing := runCLI(t, dir, []string{"HELM_AIRGAP_CONFIG=" + filepath.Join(dir, "gone.yaml")}, pod, "rewrite")
	missing.want(t, 2, "gone.yaml")
}

// TestCLIInputs: files and directories (*.yaml, *.yml, *.json, walked in
// lexical order), "-" for stdin among them, files joined into one stream.
func TestCLIInputs(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airgap.yaml"), cliConfig)
	pod := func(name string) string {
		return "kind: Pod\nmetadata: {name: " + name + "}\nspec:\n  imagePullSecrets: [{name: regcred}]\n  containers: [{name: c, image: nginx}]\n"
	}
	manifests := filepath.Join(dir, "manifests")
	writeFile(t, filepath.Join(manifests, "b.yaml"), pod("b"))
	writeFile(t, filepath.Join(manifests, "a.yml"), strings.TrimSuffix(pod("a"), "\n")) // no final newline
	writeFile(t, filepath.Join(manifests, "c.json"), `{"kind":"Pod","metadata":{"name":"c"},"spec":{"imagePullSecrets":[{"name":"regcred"}],"containers":[{"name":"c","image":"nginx"}]}}`)
	writeFile(t, filepath.Join(manifests, "sub", "d.yaml"), "---\n"+pod("d"))
	writeFile(t, filepath.Join(manifests, "notes.txt"), "image: not-a-manifest\n")
	writeFile(t, filepath.Join(dir, "single.yaml"), pod("single"))

	r := runCLI(t, dir, nil, pod("stdin"), "rewrite", "-c", "airgap.yaml", "single.yaml", "manifests", "-")
	r.want(t, 0)
	var order []string
	for _, m := range regexp.MustCompile(`metadata"?: ?\{"?name"?: ?"?([a-z]+)`).FindAllStringSubmatch(r.stdout, -1) {
		order = append(order, m[1])
	}
	if strings.Join(order, " ") != "single a b c d stdin" {
		t.Fatalf("objects in order %v, want single, the directory in lexical order, then stdin:\n%s", order, r.stdout)
	}
	if strings.Contains(r.stdout, "not-a-manifest") {
		t.Fatal("a .txt file in a directory was read")
	}
	if n := strings.Count(r.stdout, "registry.internal.example.com/mirror/library/nginx"); n != 6 {
		t.Fatalf("%d images rewritten, want 6:\n%s", n, r.stdout)
	}
	if strings.Contains(r.stdout, "}kind:") || strings.Contains(r.stdout, "]}}kind") {
		t.Fatalf("a file without a final newline ran into the next one:\n%s", r.stdout)
	}
	// Each file starts a document, so the stream parses as 6 objects.
	if n := strings.Count(r.stdout, "---"); n < 5 {
		t.Fatalf("files were not separated by document markers:\n%s", r.stdout)
	}

	check := runCLI(t, dir, nil, "", "check", "-c", "airgap.yaml", "manifests")
	check.want(t, 1, "4 image reference(s)")

	bad := runCLI(t, dir, nil, "", "rewrite", "-c", "airgap.yaml", "single.yaml", writeFile(t, filepath.Join(dir, "broken.yaml"), "kind: Pod\nspec: {containers: [{image: nginx}\n"))
	bad.want(t, 2, `broken.yaml": document at line 1: invalid YAML`)
}

func TestCLIVersion(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, "", "version")
	r.want(t, 0)
	if strings.TrimSpace(r.stdout) != testVersion {
		t.Fatalf("version printed %q, want %q", r.stdout, testVersion)
	}
	runCLI(t, t.TempDir(), nil, "", "version", "extra").want(t, 2)
	flag := runCLI(t, t.TempDir(), nil, "", "--version")
	flag.want(t, 0)
	if flag.stdout != r.stdout {
		t.Fatalf("--version printed %q, version printed %q", flag.stdout, r.stdout)
	}
}

// TestCLIHelp: --help works for every command and shows examples; the
// commands served by companion binaries show theirs through "help".
func TestCLIHelp(t *testing.T) {
	root := runCLI(t, t.TempDir(), nil, "", "--help")
	root.want(t, 0)
	for _, want := range []string{"Usage:", "rewrite", "check", "version"} {
		if !strings.Contains(root.stdout, want) {
			t.Errorf("root help lacks %q:\n%s", want, root.stdout)
		}
	}
	external := map[string]bool{}
	for _, e := range externalCommands {
		external[e.name] = true
	}
	var commands []string
	for _, c := range newRootCommand().Commands() {
		if c.IsAvailableCommand() {
			commands = append(commands, c.Name())
		}
	}
	if len(commands) < 3 {
		t.Fatalf("commands = %v", commands)
	}
	for _, name := range commands {
		t.Run(name, func(t *testing.T) {
			args := []string{name, "--help"}
			if external[name] {
				args = []string{"help", name} // --help goes to the companion binary
			}
			r := runCLI(t, t.TempDir(), nil, "", args...)
			r.want(t, 0)
			if !strings.Contains(r.stdout, "Usage:") {
				t.Fatalf("%v: no usage:\n%s", args, r.stdout)
			}
			if !external[name] && !strings.Contains(r.stdout, "Examples:") {
				t.Errorf("%v: no examples:\n%s", args, r.stdout)
			}
		})
	}
	for _, name := range []string{"rewrite", "check"} {
		r := runCLI(t, t.TempDir(), nil, "", name, "-h")
		r.want(t, 0)
		for _, flag := range []string{"--config", "--mirror", "--rule", "--allow", "HELM_AIRGAP_CONFIG", "--quiet", "--verbose"} {
			if !strings.Contains(r.stdout, flag) {
				t.Errorf("%s -h does not document %s", name, flag)
			}
		}
	}
	// Flags that do nothing for a command are not offered there, but still
	// accepted, so one set of flags works across commands.
	if r := runCLI(t, t.TempDir(), nil, "", "rewrite", "-h"); !strings.Contains(r.stdout, "--pull-secret") || !strings.Contains(r.stdout, "--lock") {
		t.Errorf("rewrite -h does not offer --pull-secret and --lock:\n%s", r.stdout)
	}
	for _, name := range []string{"check", "images"} {
		if r := runCLI(t, t.TempDir(), nil, "", name, "-h"); strings.Contains(r.stdout, "--pull-secret") || strings.Contains(r.stdout, "--lock ") {
			t.Errorf("%s -h offers flags that do nothing there:\n%s", name, r.stdout)
		}
	}
	runCLI(t, t.TempDir(), nil, "kind: ConfigMap\n", "check", "--mirror", "r.example.com/m", "--pull-secret", "x").want(t, 0)
}

// TestCLIConfig: config prints the merged config, each value with where it
// came from, and the printed config loads as the same config.
func TestCLIConfig(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airgap.yaml"), "mirror: a.example.com/m\nrules:\n  - {from: quay.io, to: b.example.com/q}\n")
	r := runCLI(t, dir, nil, "", "config", "-c", "airgap.yaml", "--rule", "docker.io=b.example.com/d", "--pull-secret", "regcred")
	r.want(t, 0)
	for _, want := range []string{
		"# from airgap.yaml:1\nmirror: a.example.com/m\n",
		"  # from airgap.yaml:3\n  - from: quay.io\n",
		"  # from --rule docker.io=b.example.com/d\n  - from: docker.io\n    to: b.example.com/d\n",
		"pullSecrets:\n  # from --pull-secret regcred\n  - regcred\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config output lacks %q:\n%s", want, r.stdout)
		}
	}
	writeFile(t, filepath.Join(dir, "effective.yaml"), r.stdout)
	again := runCLI(t, dir, nil, "", "config", "-c", "effective.yaml")
	again.want(t, 0)
	if !strings.Contains(again.stdout, "  - from: docker.io\n    to: b.example.com/d\n") {
		t.Errorf("the printed config does not load as the same config:\n%s", again.stdout)
	}
	runCLI(t, dir, nil, "", "config", "-c", "missing.yaml").want(t, 2)
}

// TestCLIQuietVerbose: -q keeps warnings and summaries off stderr but
// never a failure report; -v adds the summary; the companions take both.
func TestCLIQuietVerbose(t *testing.T) {
	dir := t.TempDir()
	pod := "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx}]}\n"
	if r := runCLI(t, dir, nil, "", "rewrite", "-q", "--mirror", "r.example.com/m"); r.code != 0 || r.stderr != "" {
		t.Errorf("-q on empty input: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, "", "rewrite", "--mirror", "r.example.com/m"); !strings.Contains(r.stderr, "warning: the input is empty") {
		t.Errorf("without -q the warning is missing: %q", r.stderr)
	}
	if r := runCLI(t, dir, nil, pod, "rewrite", "-v", "--mirror", "r.example.com/m"); r.code != 0 || !strings.Contains(r.stderr, "1 document(s), 1 image reference(s), 1 rewritten") {
		t.Errorf("-v printed no summary: exit %d, %q", r.code, r.stderr)
	}
	if r := runCLI(t, dir, nil, pod, "check", "-q", "--mirror", "r.example.com/m"); r.code != 1 || !strings.Contains(r.stderr, "Pod p: container a") {
		t.Errorf("-q hid the failure report: exit %d, %q", r.code, r.stderr)
	}
	// A public reference the config ignores is listed even under -q, by
	// the stream and the file modes (issue 23).
	ignoring := filepath.Join(dir, "ignoring.yaml")
	if err := os.WriteFile(ignoring, []byte("ignore:\n  - kind: Pod\n    name: p\n    reason: a test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, pod, "rewrite", "-q", "-c", ignoring); r.code != 0 || !strings.Contains(r.stderr, "ignored as configured: Pod p: container a") {
		t.Errorf("-q hid the ignored reference: exit %d, %q", r.code, r.stderr)
	}
	manifests := filepath.Join(dir, "manifests")
	if err := os.MkdirAll(manifests, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(manifests, "pod.yaml"), []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, dir, nil, "", "rewrite", "-q", "-c", ignoring, "--in-place", manifests); r.code != 0 || !strings.Contains(r.stderr, "ignored as configured: Pod p: container a") {
		t.Errorf("--in-place -q did not list the ignored reference: exit %d, %q", r.code, r.stderr)
	}
	for _, companion := range []struct{ bin, cmd string }{{"helm-airgap-registry", "mirror"}, {"helm-airgap-helm", "install"}, {"helm-airgap-krm", ""}} {
		args := []string{"-q", "--help"}
		if companion.cmd != "" {
			args = append([]string{companion.cmd}, args...)
		}
		out, err := exec.Command(testtool.Command(t, companion.bin), args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--quiet") || !strings.Contains(string(out), "--verbose") {
			t.Errorf("%s %v: %v\n%s", companion.bin, args, err, out)
		}
	}
}
