package admission

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/rules/config"
	"github.com/plexicus/helm-airgap/rules/mapper"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type mapperT = *mapper.Mapper

// sampleMapper is the bundled chart's config (testdata/charts/airgap.yaml).
func sampleMapper(t *testing.T) *mapper.Mapper {
	t.Helper()
	cfg, err := config.LoadFile(filepath.Join("..", "testdata", "charts", "airgap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func bufioReader(data []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(data)) }

// TestGolden writes every output form for the bundled chart's config; go
// test -run TestGolden -update rewrites testdata/ (review the diff).
func TestGolden(t *testing.T) {
	m := sampleMapper(t)
	scoped := Options{Name: "helm-airgap-images", Action: Warn, RequireDigest: true}
	var err error
	if scoped.NamespaceSelector, err = ParseSelector("--namespace-selector", "kubernetes.io/metadata.name notin (kube-system),env in (prod,staging)"); err != nil {
		t.Fatal(err)
	}
	if scoped.ObjectSelector, err = ParseSelector("--object-selector", "!helm-airgap.io/exempt"); err != nil {
		t.Fatal(err)
	}
	plain := Options{Name: "helm-airgap-images", Action: Deny}
	cases := []struct {
		file  string
		write func(*mapper.Mapper, Options) ([]byte, error)
		o     Options
	}{
		{"vap.yaml", WriteVAP, plain},
		{"vap-scoped-warn-lock.yaml", WriteVAP, scoped},
		{"kyverno.yaml", WriteKyverno, plain},
		{"kyverno-scoped-warn-lock.yaml", WriteKyverno, scoped},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			got, err := c.write(m, c.o)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := c.write(m, c.o)
			if !bytes.Equal(got, again) {
				t.Fatal("two runs wrote different output")
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what is written now (go test ./admission -run TestGolden -update):\n%s", path, got)
			}
		})
	}
}

func TestActionsAndSelectors(t *testing.T) {
	for _, s := range []string{"deny", "warn", "audit"} {
		if _, err := ParseAction(s); err != nil {
			t.Errorf("ParseAction(%q): %v", s, err)
		}
	}
	if _, err := ParseAction("enforce"); err == nil || !strings.Contains(err.Error(), `"enforce"`) {
		t.Errorf("ParseAction(enforce) = %v, want an error quoting it", err)
	}
	if _, err := ParseSelector("--object-selector", "a in (b"); err == nil || !strings.Contains(err.Error(), "--object-selector") {
		t.Errorf("a broken selector gave %v, want an error naming the flag", err)
	}
	if sel, err := ParseSelector("--object-selector", ""); sel != nil || err != nil {
		t.Errorf("an empty selector gave %v, %v; want none", sel, err)
	}
	for action, want := range map[Action]string{Deny: "Deny", Warn: "Warn", Audit: "Audit"} {
		b := Binding(Options{Name: "p", Action: action})
		if got := string(b.Spec.ValidationActions[0]); got != want || b.Spec.MatchResources != nil {
			t.Errorf("binding for %s: actions %v, match %v; want [%s] and no selector", action, b.Spec.ValidationActions, b.Spec.MatchResources, want)
		}
	}
	for action, want := range map[Action][2]any{Deny: {"Enforce", false}, Warn: {"Audit", true}, Audit: {"Audit", false}} {
		p := KyvernoPolicy(sampleMapper(t), Options{Name: "p", Action: action}).(kyvernoPolicy)
		if got := p.Spec.Rules[0].Validate.FailureAction; got != want[0] || p.Spec.EmitWarning != want[1] {
			t.Errorf("kyverno %s: failureAction %s emitWarning %v, want %v", action, got, p.Spec.EmitWarning, want)
		}
	}
}
