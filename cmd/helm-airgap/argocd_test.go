package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --- the real binary ------------------------------------------------------

// execAirgap runs the built helm-airgap (runCLI) and returns its streams
// and exit code.
func execAirgap(t *testing.T, dir string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	r := runCLI(t, dir, env, stdin, args...)
	return r.stdout, r.stderr, r.code
}

const argoPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:1.27
`

// TestArgoCDSettingsCLI checks the order in which the binary applies its
// sources: flags, then parameters, then plugin env, then $HELM_AIRGAP_CONFIG.
func TestArgoCDSettingsCLI(t *testing.T) {
	dir := t.TempDir()
	for name, mirror := range map[string]string{"sidecar.yaml": "sidecar", "env.yaml": "env", "param.yaml": "param", "flag.yaml": "flag"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("mirror: "+mirror+".example.com/m\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sidecar := "HELM_AIRGAP_CONFIG=" + filepath.Join(dir, "sidecar.yaml")
	app := "ARGOCD_APP_NAME=web"
	for _, tc := range []struct {
		name  string
		env   []string
		args  []string
		image string
	}{
		{"sidecar config", []string{app, sidecar}, nil, "sidecar.example.com/m/library/nginx:1.27"},
		{"plugin env config over the sidecar's", []string{app, sidecar, "ARGOCD_ENV_HELM_AIRGAP_CONFIG=env.yaml"}, nil, "env.example.com/m/library/nginx:1.27"},
		{"parameter config over plugin env", []string{app, sidecar, "ARGOCD_ENV_HELM_AIRGAP_CONFIG=env.yaml", `ARGOCD_APP_PARAMETERS=[{"name":"airgap-config","string":"param.yaml"}]`}, nil, "param.example.com/m/library/nginx:1.27"},
		{"--config over everything", []string{app, sidecar, `ARGOCD_APP_PARAMETERS=[{"name":"airgap-config","string":"param.yaml"}]`}, []string{"--config", "flag.yaml"}, "flag.example.com/m/library/nginx:1.27"},
		{"mirror from plugin env over the file's", []string{app, sidecar, "ARGOCD_ENV_HELM_AIRGAP_MIRROR=e.example.com/x"}, nil, "e.example.com/x/library/nginx:1.27"},
		{"mirror parameter over plugin env", []string{app, sidecar, "ARGOCD_ENV_HELM_AIRGAP_MIRROR=e.example.com/x", "PARAM_MIRROR=p.example.com/x"}, nil, "p.example.com/x/library/nginx:1.27"},
		{"--mirror over the parameter", []string{app, sidecar, "PARAM_MIRROR=p.example.com/x"}, []string{"--mirror", "f.example.com/x"}, "f.example.com/x/library/nginx:1.27"},
		{"a rule parameter over the mirror", []string{app, sidecar, `ARGOCD_APP_PARAMETERS=[{"name":"rules","map":{"docker.io":"hub.example.com/d"}}]`}, nil, "hub.example.com/d/library/nginx:1.27"},
		{"--rule over the rule parameter", []string{app, sidecar, `ARGOCD_APP_PARAMETERS=[{"name":"rules","map":{"docker.io":"hub.example.com/d"}}]`}, []string{"--rule", "docker.io=flag.example.com/d"}, "flag.example.com/d/library/nginx:1.27"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"rewrite"}, tc.args...)
			stdout, stderr, code := execAirgap(t, dir, tc.env, argoPod, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "image: "+tc.image+"\n") {
				t.Errorf("output lacks image %s:\n%s", tc.image, stdout)
			}
		})
	}
}

func TestArgoCDSettingsCLIErrors(t *testing.T) {
	stdout, stderr, code := execAirgap(t, "", []string{"ARGOCD_APP_NAME=web", `ARGOCD_APP_PARAMETERS=[{"name":"mirror","map":{"a":"b"}}]`}, argoPod, "rewrite")
	if code != 2 || stdout != "" || !strings.Contains(stderr, `reading Argo CD settings: parameter "mirror"`) {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 naming the parameter", code, stdout, stderr)
	}
	// A parameter's value is validated like the flag's.
	stdout, stderr, code = execAirgap(t, "", []string{"ARGOCD_APP_NAME=web", "PARAM_MIRROR=docker.io/library"}, argoPod, "rewrite")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "public registry") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2: a public mirror", code, stdout, stderr)
	}
}

// TestArgoCDRefusesEmptyOutput: under Argo CD (ARGOCD_APP_NAME set) an
// output with no object is refused, since auto-prune would delete the
// application's resources; stdout stays empty.
func TestArgoCDRefusesEmptyOutput(t *testing.T) {
	mirror := "--mirror=r.example.com/m"
	for _, tc := range []struct {
		name  string
		env   []string
		input string
		code  int
	}{
		{"empty input under Argo CD", []string{"ARGOCD_APP_NAME=web"}, "", 2},
		{"comments only under Argo CD", []string{"ARGOCD_APP_NAME=web"}, "# Source: x\n---\n# nothing\n", 2},
		{"allowed to be empty", []string{"ARGOCD_APP_NAME=web", "ARGOCD_ENV_HELM_AIRGAP_ALLOW_EMPTY=true"}, "# Source: x\n", 0},
		{"empty outside Argo CD", nil, "", 0},
		{"objects under Argo CD", []string{"ARGOCD_APP_NAME=web"}, "# Source: x\n" + argoPod, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := execAirgap(t, "", tc.env, tc.input, "rewrite", mirror)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			if code != 0 {
				if stdout != "" || !strings.Contains(stderr, "refusing to print a manifest with no Kubernetes objects") {
					t.Errorf("stdout %q, stderr %q", stdout, stderr)
				}
				return
			}
			if tc.input != "" && stdout == "" {
				t.Error("no output for a non-empty input")
			}
		})
	}
	// check writes no stream, so it has nothing to guard.
	if _, stderr, code := execAirgap(t, "", []string{"ARGOCD_APP_NAME=web"}, argoPod, "check", mirror); code != 1 {
		t.Errorf("check: exit %d, want 1 (the input is public): %s", code, stderr)
	}
}

// TestArgoCDParametersStayInTheApplication (issue 15, item 8): a config
// file an Application names must lie inside the application directory (the
// working directory), be a path and not a URL, not escape through a
// symlink, and a file that is not a config is refused without a line of it
// echoed.
func TestArgoCDParametersStayInTheApplication(t *testing.T) {
	root := t.TempDir()
	app := filepath.Join(root, "app")
	secret := "root:*:19000:0:99999:7:::"
	writeFile(t, filepath.Join(root, "outside.yaml"), "mirror: evil.example.com/m\n")
	writeFile(t, filepath.Join(root, "shadow"), secret+"\n")
	writeFile(t, filepath.Join(app, "airgap.yaml"), "mirror: ok.example.com/m\n")
	writeFile(t, filepath.Join(app, "shadow-copy"), secret+"\n")
	if err := os.Symlink(filepath.Join(root, "outside.yaml"), filepath.Join(app, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "shadow"), filepath.Join(app, "shadow-link")); err != nil {
		t.Fatal(err)
	}
	param := func(v string) string {
		return `ARGOCD_APP_PARAMETERS=[{"name":"airgap-config","string":"` + v + `"}]`
	}
	for _, tc := range []struct {
		name, env, want string
	}{
		{"inside", param("airgap.yaml"), ""},
		{"a way out with ..", param("../outside.yaml"), "outside the application directory"},
		{"an absolute path", param(filepath.Join(root, "outside.yaml")), "an absolute path"},
		{"/etc/shadow", param("/etc/shadow"), "an absolute path"},
		{"a URL", param("http://127.0.0.1:15409/airgap.yaml"), "a URL"},
		{"a symlink out", param("link.yaml"), "outside the application directory"},
		{"a symlink out to a secret", param("shadow-link"), "outside the application directory"},
		{"plugin env, a way out", "ARGOCD_ENV_HELM_AIRGAP_CONFIG=../outside.yaml", "outside the application directory"},
		{"not a config", param("shadow-copy"), "is not a helm-airgap config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := execAirgap(t, app, []string{"ARGOCD_APP_NAME=web", tc.env}, argoPod, "rewrite")
			if strings.Contains(stderr, "root:") || strings.Contains(stdout, "evil.example.com") {
				t.Fatalf("a file outside the application, or a line of a secret, got through:\nstdout %s\nstderr %s", stdout, stderr)
			}
			if tc.want == "" {
				if code != 0 || !strings.Contains(stdout, "ok.example.com/m/library/nginx:1.27") {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				return
			}
			if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 saying %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestArgoCDVariablesIgnoredOutsideArgoCD: without ARGOCD_APP_NAME, stray
// Argo CD variables do not change the policy, and a warning says so.
func TestArgoCDVariablesIgnoredOutsideArgoCD(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "airgap.yaml"), "rules:\n  - {from: ghcr.io, to: r.example.com/ghcr}\n")
	for _, stray := range []string{
		"ARGOCD_ENV_HELM_AIRGAP_MIRROR=anything.example.com/m",
		`ARGOCD_APP_PARAMETERS=[{"name":"mirror","string":"anything.example.com/m"}]`,
		"ARGOCD_ENV_HELM_AIRGAP_CONFIG=loose.yaml",
	} {
		name, _, _ := strings.Cut(stray, "=")
		t.Run(name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, "loose.yaml"), "mirror: anything.example.com/m\n")
			stdout, stderr, code := execAirgap(t, dir, []string{stray}, argoPod, "rewrite", "-c", "airgap.yaml")
			if code != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q: the stray variable changed the policy; stderr:\n%s", code, stdout, stderr)
			}
			if want := "warning: ignoring " + name + ": not running under Argo CD"; !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		})
	}
}
