package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/testtool"
)

// The companion's command line, on the real binary, run directly and
// through helm-airgap's dispatch (external.go) as `helm airgap` runs it.

type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs binary in testdata/charts.
func runCLI(t *testing.T, binary string, env []string, args ...string) cliResult {
	t.Helper()
	return runCLIIn(t, filepath.Join(testtool.ModuleRoot(t), "testdata", "charts"), binary, env, args...)
}

func runCLIIn(t *testing.T, dir, binary string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	home := t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "KUBECONFIG=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home, "HELM_CACHE_HOME="+home,
		"KUBECONFIG="+filepath.Join(home, "none"))
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout.String(), stderr.String(), 0}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 && r.stdout != "" {
		t.Errorf("exit %d with output on stdout:\n%s", r.code, r.stdout)
	}
	return r
}

func TestCLI(t *testing.T) {
	companion := testtool.Command(t, "helm-airgap-helm")
	fast := testtool.Command(t, "helm-airgap")
	strict := filepath.Join(t.TempDir(), "strict.yaml")
	if err := os.WriteFile(strict, []byte("rules:\n  - from: europe-west3-docker.pkg.dev/plexicus-registry\n    to: registry.internal.example.com/plexicus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		env    []string
		args   []string
		code   int
		stdout []string
		stderr []string
		absent []string // not on stdout
	}{
		{"template", nil, []string{"template", "app", "platform", "--config", "airgap.yaml"}, 0,
			[]string{"# Source: platform/templates/migrations-hook.yaml", "image: registry.internal.example.com/plexicus/migrations:3.1.0"},
			[]string{"and 1 in 1 hook(s)"}, nil},
		{"config from the environment", []string{"HELM_AIRGAP_CONFIG=airgap.yaml"}, []string{"template", "app", "platform", "--skip-tests"}, 0,
			[]string{"image: registry.internal.example.com/plexicus/migrations:3.1.0"}, nil, nil},
		{"values flags", nil, []string{"template", "app", "platform", "-c", "airgap.yaml", "--set", "migrations.image=ghcr.io/org/migrate:9"}, 0,
			[]string{"image: registry.internal.example.com/mirror/org/migrate:9"}, nil, nil},
		{"a public image", nil, []string{"template", "app", "platform", "-c", strict}, 1,
			nil, []string{"docker.io/library/nginx:1.27.3-alpine", "hint:", "helm-airgap: template failed:"}, nil},
		{"a public hook image", nil, []string{"template", "app", "platform", "-c", strict, "--set", "sidecar.image=registry.internal.example.com/nginx:1", "--set", "mongodb.enabled=false", "--set", "migrations.image=docker.io/org/migrate:1"}, 1,
			nil, []string{"Job app-migrations: container migrations (spec.template.spec.containers[0].image): docker.io/org/migrate:1", "(1 of them in hooks)"}, nil},
		{"--no-hooks", nil, []string{"template", "app", "platform", "-c", "airgap.yaml", "--no-hooks"}, 0,
			[]string{"kind: CronJob"}, nil, []string{"migrations-hook.yaml"}},
		{"missing config", nil, []string{"template", "app", "platform", "-c", "nope.yaml"}, 2, nil, []string{"nope.yaml"}, nil},
		{"missing chart", nil, []string{"install", "app", "./nope", "-c", "airgap.yaml"}, 2, nil, []string{`locating chart "./nope"`}, nil},
		{"bad --dry-run", nil, []string{"install", "app", "platform", "-c", "airgap.yaml", "--dry-run=maybe"}, 2, nil, []string{`invalid --dry-run value "maybe"`}, nil},
		{"bad --kube-version", nil, []string{"template", "app", "platform", "-c", "airgap.yaml", "--kube-version", "x.y"}, 2, nil, []string{"--kube-version"}, nil},
		{"unknown flag", nil, []string{"template", "app", "platform", "--bogus"}, 2, nil, []string{"unknown flag: --bogus"}, nil},
		{"missing arguments", nil, []string{"install", "app"}, 2, nil, []string{"accepts 2 arg(s)"}, nil},
		{"no cluster", nil, []string{"install", "app", "platform", "-c", "airgap.yaml"}, 1, nil, []string{"install failed:", "Kubernetes cluster unreachable"}, nil},
		{"rollback without a cluster", nil, []string{"rollback", "app", "1", "-c", "airgap.yaml"}, 1, nil, []string{"rollback failed:", "Kubernetes cluster unreachable"}, nil},
		{"rollback to a bad revision", nil, []string{"rollback", "app", "one", "-c", "airgap.yaml"}, 2, nil, []string{`reading the revision "one"`}, nil},
		{"rollback without a config", nil, []string{"rollback", "app", "1", "-c", "nope.yaml"}, 2, nil, []string{"nope.yaml"}, nil},
	} {
		for _, binary := range []string{companion, fast} {
			t.Run(tc.name+"/"+filepath.Base(binary), func(t *testing.T) {
				r := runCLI(t, binary, tc.env, tc.args...)
				if r.code != tc.code {
					t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
				}
				for _, s := range tc.stdout {
					if !strings.Contains(r.stdout, s) {
						t.Errorf("stdout lacks %q:\n%s", s, r.stdout)
					}
				}
				for _, s := range tc.absent {
					if strings.Contains(r.stdout, s) {
						t.Errorf("stdout holds %q:\n%s", s, r.stdout)
					}
				}
				for _, s := range tc.stderr {
					if !strings.Contains(r.stderr, s) {
						t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
					}
				}
			})
		}
	}
}
