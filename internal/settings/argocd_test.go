package settings

import (
	"reflect"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/cli"
	"github.com/plexicus/helm-airgap/rewrite"
	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
)

func TestReadArgoCDSettings(t *testing.T) {
	type want struct {
		config     string
		overrides  config.Overrides
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
				overrides: config.Overrides{
					Mirror: "registry.internal.example.com/m",
					Rules: []mapper.Rule{
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
				overrides: config.Overrides{
					Mirror: "r.example.com/m",
					// A JSON object has no order: sorted by from.
					Rules:       []mapper.Rule{{From: "docker.io/bitnami", To: "r.example.com/bitnami"}, {From: "quay.io", To: "r.example.com/quay"}},
					PullSecrets: []string{"s1", "s2"},
					Allow:       []string{"a.example.com", "b.example.com"},
				},
			},
		},
		{
			name: "rules as an array of FROM=TO",
			env:  []string{app, `ARGOCD_APP_PARAMETERS=[{"name":"rules","array":["docker.io=r.example.com/hub"]}]`},
			want: want{under: true, overrides: config.Overrides{Rules: []mapper.Rule{{From: "docker.io", To: "r.example.com/hub"}}}},
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
				overrides: config.Overrides{
					Mirror:      "param.example.com/m",
					Rules:       []mapper.Rule{{From: "docker.io", To: "param.example.com/hub"}, {From: "quay.io", To: "env.example.com/quay"}},
					PullSecrets: []string{"from-env", "from-param"},
				},
			},
		},
		{
			name: "JSON wins over PARAM_ variables",
			env:  []string{app, `ARGOCD_APP_PARAMETERS=[{"name":"mirror","string":"json.example.com/m"}]`, "PARAM_MIRROR=param.example.com/m"},
			want: want{under: true, overrides: config.Overrides{Mirror: "json.example.com/m"}},
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
				overrides: config.Overrides{
					Mirror:      "p.example.com/m",
					Rules:       []mapper.Rule{{From: "docker.io", To: "p.example.com/hub"}, {From: "quay.io", To: "p.example.com/quay"}},
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
			s, err := readArgoCDSettings(environMap(tc.env))
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
			got.overrides.From = nil // TestArgoCDOrigins
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("settings\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestArgoCDOrigins: config names the variable or parameter that set each
// Argo CD setting, the higher source when both did.
func TestArgoCDOrigins(t *testing.T) {
	s, err := readArgoCDSettings(map[string]string{
		"ARGOCD_APP_NAME":                     "app",
		"ARGOCD_ENV_HELM_AIRGAP_MIRROR":       "e.example.com/m",
		"ARGOCD_ENV_HELM_AIRGAP_PULL_SECRETS": "a,b",
		"ARGOCD_APP_PARAMETERS":               `[{"name":"pull-secrets","array":["c"]}]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"mirror": "env ARGOCD_ENV_HELM_AIRGAP_MIRROR", "pull-secret": `parameter "pull-secrets"`}
	if !reflect.DeepEqual(s.overrides.From, want) {
		t.Errorf("From = %v, want %v", s.overrides.From, want)
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
		argo      ArgoCD
		checkOnly bool
		objects   int
		refused   bool
	}{
		{"no objects under Argo CD", ArgoCD{underArgoCD: true}, false, 0, true},
		{"objects under Argo CD", ArgoCD{underArgoCD: true}, false, 3, false},
		{"allowed to be empty", ArgoCD{underArgoCD: true, allowEmpty: true}, false, 0, false},
		{"outside Argo CD", ArgoCD{}, false, 0, false},
		{"check writes no stream", ArgoCD{underArgoCD: true}, true, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Session{policy: &Policy{ArgoCD: tc.argo, checkOnly: tc.checkOnly}}
			err := s.argoEmpty(&rewrite.Report{Objects: tc.objects})
			if refused := cli.ExitCode(err) == cli.ExitUsage; refused != tc.refused {
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
		s, err := readArgoCDSettings(environMap(env))
		if err != nil {
			return
		}
		for _, r := range s.overrides.Rules {
			if r.From == "" || r.To == "" {
				t.Errorf("rule with an empty side: %+v", r)
			}
		}
		// Without the JSON, the PARAM_/env path must not panic either.
		_, _ = readArgoCDSettings(environMap([]string{"ARGOCD_APP_NAME=app", extra, "PARAM_RULES_0=" + params}))
	})
}
