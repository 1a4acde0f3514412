package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

// The errors and output a newcomer meets first, on the real binary.

// TestCLIQuietByLevel: -q leaves nothing but errors on stderr for every
// command, images and init included (they parse their own flags).
func TestCLIQuietByLevel(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"images", "-q", "--mirror", "registry.internal.example.com/m"},
		{"init", "-q"},
		{"check", "-q", "-c", "rules.yaml"},
		{"rewrite", "-q", "--mirror", "registry.internal.example.com/m"},
	} {
		writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
		stdin := cliPod
		if args[0] == "check" {
			stdin = cliPodRewritten
		}
		r := runCLI(t, dir, nil, stdin, args...)
		r.want(t, 0)
		if r.stderr != "" {
			t.Errorf("%v printed on stderr:\n%s", args, r.stderr)
		}
		loud := append([]string{args[0], "-v"}, args[2:]...) // rewrite's summary is -v's
		if r := runCLI(t, dir, nil, stdin, loud...); r.stderr == "" {
			t.Errorf("%v printed no summary", loud)
		}
	}
}

// TestCLICheckSummary: check rewrites nothing and does not say "0
// rewritten".
func TestCLICheckSummary(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "rules.yaml"), rulesOnly)
	r := runCLI(t, dir, nil, cliPodRewritten, "check", "-c", "rules.yaml")
	r.want(t, 0, "1 document(s), 1 image reference(s), all on the mirror")
	if strings.Contains(r.stderr, "rewritten") {
		t.Errorf("check's summary speaks of rewriting:\n%s", r.stderr)
	}
}

// TestCLICheckJSONCarriesTheImageVerdict: check -o json exits 1 on a public
// image and says so in the JSON, with every offender.
func TestCLICheckJSONCarriesTheImageVerdict(t *testing.T) {
	stdout, stderr, code := egressExec(t, cliPublic, "check", "-o", "json", "--rule", "ghcr.io/org=registry.internal.example.com/org")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	var got struct {
		Failed       bool `json:"failed"`
		EgressFailed bool `json:"egressFailed"`
		Images       struct {
			Failed    bool `json:"failed"`
			Offenders []struct {
				Resource, Container, Field, Image string
				SuggestedRule                     *struct{ From, To string } `json:"suggestedRule"`
			} `json:"offenders"`
		} `json:"images"`
		Summary json.RawMessage `json:"summary"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	if !got.Failed || !got.Images.Failed || got.EgressFailed || got.Summary == nil {
		t.Errorf("verdicts: failed %v, images %v, egress %v (summary %s)", got.Failed, got.Images.Failed, got.EgressFailed, got.Summary)
	}
	offenders := map[string]string{}
	for _, o := range got.Images.Offenders {
		rule := ""
		if o.SuggestedRule != nil {
			rule = o.SuggestedRule.From + "=" + o.SuggestedRule.To
		}
		offenders[o.Resource+" "+o.Container+" "+o.Field+" "+o.Image] = rule
	}
	for key, rule := range map[string]string{
		"Deployment prod/api api spec.template.spec.containers[0].image ghcr.io/org/api:1":      "",
		"Deployment prod/api cache spec.template.spec.containers[1].image quay.io/org/cache:3":  "quay.io=registry.internal.example.com/quay.io",
		"Deployment prod/api api spec.template.spec.containers[0].args[0] ghcr.io/org/helper:2": "",
	} {
		got, ok := offenders[key]
		if !ok {
			t.Errorf("offender %q missing; got %v", key, offenders)
		} else if got != rule {
			t.Errorf("offender %q: suggested rule %q, want %q", key, got, rule)
		}
	}
}

// TestCLITemplatesNamed: raw chart templates are refused naming the file
// and line, with the advice to render them first, by images, init and
// rewrite alike.
func TestCLITemplatesNamed(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ok.yaml"), cliPod)
	writeFile(t, filepath.Join(dir, "deployment.yaml"), "kind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n")
	for _, cmd := range []string{"images", "init", "rewrite"} {
		args := []string{cmd, "ok.yaml", "deployment.yaml"}
		if cmd != "init" {
			args = append(args, "--mirror", "registry.internal.example.com/m")
		}
		runCLI(t, dir, nil, "", args...).want(t, 2, "deployment.yaml", "line", "render with `helm template` first")
	}
	// A bad reference in the second file is named by file for images too.
	writeFile(t, filepath.Join(dir, "bad.yaml"), "kind: Pod\nmetadata: {name: p}\nspec: {containers: [{image: \"UPPER:1\"}]}\n")
	runCLI(t, dir, nil, "", "images", "--mirror", "registry.internal.example.com/m", "ok.yaml", "bad.yaml").want(t, 2, `"bad.yaml"`, "UPPER:1")
}

// TestCLINoConfig: with no config at all, a failure and config say where
// one comes from.
func TestCLINoConfig(t *testing.T) {
	dir := t.TempDir()
	runCLI(t, dir, nil, cliPod, "check").want(t, 1, "no config given; `helm-airgap init` writes one")
	r := runCLI(t, dir, nil, "", "config")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "no config given; `helm-airgap init` writes one") || strings.Contains(r.stdout, "{}") {
		t.Errorf("config with no config printed:\n%s", r.stdout)
	}
}

// TestCLIConfigErrors: the line that breaks, every problem at once, and
// the key meant.
func TestCLIConfigErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "indent.yaml"), "apiVersion: helm-airgap/v1\nmirror: registry.internal.example.com/m\nrules:\n  - from: docker.io\n   to: registry.internal.example.com/d\n")
	writeFile(t, filepath.Join(dir, "typos.yaml"), "mirrors: registry.internal.example.com/m\npullSecret: [regcred]\n")
	runCLI(t, dir, nil, cliPod, "check", "-c", "indent.yaml").want(t, 2, "indent.yaml:5: invalid YAML")
	runCLI(t, dir, nil, cliPod, "check", "-c", "typos.yaml").want(t, 2,
		"typos.yaml:1: mirrors: unknown key (did you mean mirror?)", "typos.yaml:2: pullSecret: unknown key (did you mean pullSecrets?)")
}

// TestCLIInitRegistry: --registry with a scheme or upper case gets the
// config parser's advice and no placeholder path.
func TestCLIInitRegistry(t *testing.T) {
	dir := t.TempDir()
	for registry, want := range map[string]string{
		"HTTPS://Registry.Corp.example.com/Mirror": "image references have no scheme, repository names are lower case; write registry.corp.example.com/mirror",
		"registry.corp.example.com/Team/":          "repository names are lower case, a prefix has no trailing slash; write registry.corp.example.com/team",
		"docker.io/me":                             "public registry",
	} {
		r := runCLI(t, dir, nil, cliPod, "init", "--registry", registry)
		r.want(t, 2, "--registry", want)
		if strings.Contains(r.stderr, "/x") || strings.Contains(r.stderr, "rules[0]") {
			t.Errorf("--registry %q: the error shows an internal path:\n%s", registry, r.stderr)
		}
	}
}

// TestCLIFluxHeaderCounts: "1 images: entry", not "1 images: entries".
func TestCLIFluxHeaderCounts(t *testing.T) {
	r := runCLI(t, t.TempDir(), nil, cliPod, "images", "-o", "flux", "--mirror", "registry.internal.example.com/m")
	r.want(t, 0)
	if !strings.Contains(r.stdout, "(1 images: entry, ") {
		t.Errorf("header:\n%s", r.stdout)
	}
}

// TestCLIResolveAndVersions: resolve is a command of the main binary
// (served by the registry companion), and every binary answers --version.
func TestCLIResolveAndVersions(t *testing.T) {
	r := runCLI(t, t.TempDir(), []string{"PATH=/nonexistent"}, "", "resolve", "--help")
	r.want(t, 2, "helm-airgap-registry")
	if strings.Contains(r.stderr, "unknown command") {
		t.Errorf("resolve is not a command:\n%s", r.stderr)
	}
	for _, bin := range []string{"helm-airgap-registry", "helm-airgap-helm", "helm-airgap-krm"} {
		out, err := exec.Command(testtool.Command(t, bin), "--version").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) == "" || strings.Contains(string(out), "unknown flag") {
			t.Errorf("%s --version: %v\n%s", bin, err, out)
		}
	}
}
