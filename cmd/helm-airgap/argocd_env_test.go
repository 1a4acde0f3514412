package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules"
)

func TestReadArgoCDSettings(t *testing.T) {
	type want struct {
		config     string
		overrides  rules.Overrides
		allowEmpty bool
		under      bool
	}
	app := "ARGOCD_APP_NAME=platform"
	for _, tc := range []struct {
		name    string
		env     []string
		want    want
		wantErr string
	}{
		{name: "nothing set", env: []string{"PATH=/bin"}},
		{
			name: "plugin env",
			env: []string{
				app,
				"ARGOCD_ENV_HELM_AIRGAP_CONFIG=airgap.yaml",
				"ARGOCD_ENV_HELM_AIRGAP_MIRROR= registry.internal.example.com/m ",
				"ARGOCD_ENV_HELM_AIRGAP_RULES=docker.io=r.example.com/hub, quay.io=r.example.com/quay\nghcr.io=r.example.com/ghcr",
				"ARGOCD_ENV_HELM_AIRGAP_PULL_SECRETS=a,b",
				"ARGOCD_ENV_HELM_AIRGAP_ALLOW=r.example.com other.example.com",
				"ARGOCD_ENV_HELM_AIRGAP_ALLOW_EMPTY=true",
			},
			want: want{
				config: "airgap.yaml", allowEmpty: true, under: true,
				overrides: rules.Overrides{
					Mirror: "registry.internal.example.com/m",
					Rules: []rules.Rule{
						{From: "docker.io", To: "r.example.com/hub"}, {From: "quay.io", To: "r.example.com/quay"}, {From: "ghcr.io", To: "r.example.com/ghcr"},
					},
					PullSecrets: []string{"a", "b"},
					Allow:       []string{"r.example.com", "other.example.com"},
				},
			},
		},
		{
			name: "parameters as JSON; other plugins' parameters ignored",
			env: []string{app, `ARGOCD_APP_PARAMETERS=[
				{"name":"values-files","array":["values-prod.yaml"]},
				{"name":"airgap-config","string":"ci/airgap.yaml"},
				{"name":"mirror","string":"r.example.com/m"},
				{"name":"rules","map":{"quay.io":"r.example.com/quay","docker.io/bitnami":"r.example.com/bitnami"}},
				{"name":"pull-secrets","array":["s1","s2"]},
				{"name":"allow","string":"a.example.com, b.example.com"}]`},
			want: want{
				config: "ci/airgap.yaml", under: true,
				overrides: rules.Overrides{
					Mirror: "r.example.com/m",
					// A JSON object has no order: sorted by from.
					Rules:       []rules.Rule{{From: "docker.io/bitnami", To: "r.example.com/bitnami"}, {From: "quay.io", To: "r.example.com/quay"}},
					PullSecrets: []string{"s1", "s2"},
					Allow:       []string{"a.example.com", "b.example.com"},
				},
			},
		},
		{
			name: "rules as an array of FROM=TO",
			env:  []string{app, `ARGOCD_APP_PARAMETERS=[{"name":"rules","array":["docker.io=r.example.com/hub"]}]`},
			want: want{under: true, overrides: rules.Overrides{Rules: []rules.Rule{{From: "docker.io", To: "r.example.com/hub"}}}},
		},
		{
			name: "parameters win over plugin env; lists add up; a rule replaces one with the same from",
			env: []string{
				app,
				"ARGOCD_ENV_HELM_AIRGAP_CONFIG=env.yaml",
				"ARGOCD_ENV_HELM_AIRGAP_MIRROR=env.example.com/m",
				"ARGOCD_ENV_HELM_AIRGAP_RULES=docker.io=env.example.com/hub,quay.io=env.example.com/quay",
				"ARGOCD_ENV_HELM_AIRGAP_PULL_SECRETS=from-env",
				`ARGOCD_APP_PARAMETERS=[{"name":"airgap-config","string":"param.yaml"},{"name":"mirror","string":"param.example.com/m"},
					{"name":"rules","map":{"docker.io":"param.example.com/hub"}},{"name":"pull-secrets","array":["from-param"]}]`,
			},
			want: want{
				config: "param.yaml", under: true,
				overrides: rules.Overrides{
					Mirror:      "param.example.com/m",
					Rules:       []rules.Rule{{From: "docker.io", To: "param.example.com/hub"}, {From: "quay.io", To: "env.example.com/quay"}},
					PullSecrets: []string{"from-env", "from-param"},
				},
			},
		},
		{
			name: "JSON wins over PARAM_ variables",
			env:  []string{app, `ARGOCD_APP_PARAMETERS=[{"name":"mirror","string":"json.example.com/m"}]`, "PARAM_MIRROR=param.example.com/m"},
			want: want{under: true, overrides: rules.Overrides{Mirror: "json.example.com/m"}},
		},
		{
			name: "PARAM_ variables without the JSON",
			env: []string{
				app, "PARAM_AIRGAP_CONFIG=a.yaml", "PARAM_MIRROR=p.example.com/m",
				"PARAM_RULES_0=docker.io=p.example.com/hub", "PARAM_RULES_1=quay.io=p.example.com/quay",
				"PARAM_PULL_SECRETS_0=s0", "PARAM_PULL_SECRETS_1=s1", "PARAM_PULL_SECRETS_3=not-contiguous",
				"PARAM_ALLOW=x.example.com,y.example.com",
			},
			want: want{
				config: "a.yaml", under: true,
				overrides: rules.Overrides{
					Mirror:      "p.example.com/m",
					Rules:       []rules.Rule{{From: "docker.io", To: "p.example.com/hub"}, {From: "quay.io", To: "p.example.com/quay"}},
					PullSecrets: []string{"s0", "s1"},
					Allow:       []string{"x.example.com", "y.example.com"},
				},
			},
		},
		{
			name: "PARAM_ variables are ignored outside Argo CD",
			env:  []string{"PARAM_MIRROR=p.example.com/m", "PARAM_ALLOW_0=evil.example.com"},
		},
		{
			name:    "a rules map cannot come from PARAM_ variables",
			env:     []string{app, "PARAM_RULES_DOCKER_IO=p.example.com/hub"},
			wantErr: "PARAM_RULES_DOCKER_IO: a rules map cannot be read from PARAM_ variables",
		},
		{name: "bad JSON", env: []string{app, `ARGOCD_APP_PARAMETERS=[{"name":`}, wantErr: "ARGOCD_APP_PARAMETERS: decoding"},
		{
			name:    "a single value given as an array",
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"mirror","array":["a.example.com"]}]`},
			wantErr: `parameter "mirror": want a single string`,
		},
		{
			name:    "a map for a list that is not rules",
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"allow","map":{"a":"b"}}]`},
			wantErr: `parameter "allow": a map is only accepted for "rules"`,
		},
		{
			name:    "two kinds of value",
			env:     []string{`ARGOCD_APP_PARAMETERS=[{"name":"allow","string":"a.example.com","array":["b.example.com"]}]`},
			wantErr: `parameter "allow": set only one of string, array and map`,
		},
		{
			name:    "a rule without =",
			env:     []string{"ARGOCD_ENV_HELM_AIRGAP_RULES=docker.io"},
			wantErr: `ARGOCD_ENV_HELM_AIRGAP_RULES: parsing rule "docker.io": want FROM=TO`,
		},
		{
			name:    "a bad allow-empty",
			env:     []string{"ARGOCD_ENV_HELM_AIRGAP_ALLOW_EMPTY=maybe"},
			wantErr: `ARGOCD_ENV_HELM_AIRGAP_ALLOW_EMPTY="maybe": want true or false`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := readArgoCDSettings(tc.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := want{config: s.config, overrides: s.overrides, allowEmpty: s.allowEmpty, under: s.underArgoCD}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("settings\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestEscapeParamName(t *testing.T) {
	for in, want := range map[string]string{
		"pull-secrets": "PULL_SECRETS", "airgap-config": "AIRGAP_CONFIG", "docker.io/bitnami": "DOCKER_IO_BITNAMI", "a_b9": "A_B9",
	} {
		if got := escapeParamName(in); got != want {
			t.Errorf("escapeParamName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestArgoGate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		argo      argoCDSettings
		checkOnly bool
		objects   int
		refused   bool
	}{
		{"no objects under Argo CD", argoCDSettings{underArgoCD: true}, false, 0, true},
		{"objects under Argo CD", argoCDSettings{underArgoCD: true}, false, 3, false},
		{"allowed to be empty", argoCDSettings{underArgoCD: true, allowEmpty: true}, false, 0, false},
		{"outside Argo CD", argoCDSettings{}, false, 0, false},
		{"check writes no stream", argoCDSettings{underArgoCD: true}, true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &options{argo: tc.argo}
			gate := o.argoGate(tc.checkOnly)
			var err error
			if gate != nil {
				err = gate(&rewrite.Report{Objects: tc.objects})
			}
			var usage usageError
			if refused := errors.As(err, &usage); refused != tc.refused {
				t.Fatalf("gate error = %v, want refused=%v", err, tc.refused)
			}
		})
	}
}

func FuzzArgoCDParameters(f *testing.F) {
	f.Add(`[{"name":"mirror","string":"r.example.com/m"},{"name":"rules","map":{"docker.io":"r.example.com/hub"}}]`, "PARAM_RULES_0=a=b")
	f.Add(`[{"name":"allow","array":["a","b"]},{"name":"pull-secrets","string":"x y"}]`, "ARGOCD_ENV_HELM_AIRGAP_RULES=x=y")
	f.Add(`null`, "PARAM_RULES_X=1")
	f.Add(`[{"name":"rules","string":"=,=x,a="}]`, "")
	f.Fuzz(func(t *testing.T, params, extra string) {
		env := []string{"ARGOCD_APP_NAME=app", "ARGOCD_APP_PARAMETERS=" + params, extra}
		s, err := readArgoCDSettings(env)
		if err != nil {
			return
		}
		for _, r := range s.overrides.Rules {
			if r.From == "" || r.To == "" {
				t.Errorf("rule with an empty side: %+v", r)
			}
		}
		// Without the JSON, the PARAM_/env path must not panic either.
		_, _ = readArgoCDSettings([]string{"ARGOCD_APP_NAME=app", extra, "PARAM_RULES_0=" + params})
	})
}

// --- the real binary ------------------------------------------------------

// execAirgap runs the built helm-airgap with a clean environment plus env.
func execAirgap(t *testing.T, dir string, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(testtool.Command(t, "helm-airgap"), args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_AIRGAP_") && !strings.HasPrefix(kv, "ARGOCD_") && !strings.HasPrefix(kv, "PARAM_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
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
