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

const kustomizeDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
        - name: seed
          image: quay.io/org/seed:1.0
      containers:
        - name: web
          image: nginx:1.27
          args: ["--sidecar-image=docker.io/library/busybox:1.36"]
`

// kustomizeBuild runs real `kustomize build --enable-alpha-plugins
// --enable-exec` on a kustomization whose transformers entry is the function.
func kustomizeBuild(t *testing.T, functionConfig string) (stdout, stderr string, code int) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds kustomize")
	}
	kustomize := testtool.Tool(t, testtool.Kustomize)
	dir := t.TempDir()
	files := map[string]string{
		"kustomization.yaml": "namespace: prod\nresources:\n  - deployment.yaml\ntransformers:\n  - airgap.yaml\n",
		"deployment.yaml":    kustomizeDeployment,
		"airgap.yaml":        functionConfig,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", dir)
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

// execAnnotation is the config.kubernetes.io/function annotation running a
// binary with arguments.
func execAnnotation(path string, args ...string) string {
	s := "  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: " + path + "\n"
	if len(args) > 0 {
		s += "        args: [" + strings.Join(args, ", ") + "]\n"
	}
	return s
}

func TestKustomizeTransformer(t *testing.T) {
	krm := testtool.Command(t, "helm-airgap-krm")
	fast := testtool.Command(t, "helm-airgap") // built beside helm-airgap-krm
	airgap := func(annotation string) string {
		return "apiVersion: helm-airgap/v1\nkind: AirgapConfig\nmetadata:\n  name: airgap\n" + annotation + `rules:
  - from: quay.io
    to: registry.internal.example.com/quay
mirror: registry.internal.example.com/mirror
pullSecrets: [regcred]
`
	}
	configMap := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: airgap\n" + execAnnotation(krm) + `data:
  rules: quay.io=registry.internal.example.com/quay
  mirror: registry.internal.example.com/mirror
  pullSecrets: regcred
`
	for name, fc := range map[string]string{
		"AirgapConfig, helm-airgap-krm":   airgap(execAnnotation(krm)),
		"AirgapConfig, helm-airgap fn":    airgap(execAnnotation(fast, "fn")),
		"ConfigMap data, helm-airgap-krm": configMap,
	} {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := kustomizeBuild(t, fc)
			if code != 0 {
				t.Fatalf("kustomize build: exit %d\n%s", code, stderr)
			}
			for _, want := range []string{
				"image: registry.internal.example.com/quay/org/seed:1.0",
				"image: registry.internal.example.com/mirror/library/nginx:1.27",
				"--sidecar-image=registry.internal.example.com/mirror/library/busybox:1.36",
				"imagePullSecrets:\n      - name: regcred",
				"namespace: prod",
			} {
				if !strings.Contains(stdout, want) {
					t.Errorf("kustomize output lacks %q:\n%s", want, stdout)
				}
			}
			// The function's config is not a resource: it must not be emitted.
			if strings.Contains(stdout, "AirgapConfig") || strings.Contains(stdout, "kind: ConfigMap") {
				t.Errorf("the functionConfig leaked into the output:\n%s", stdout)
			}
			// The fast binary's check agrees.
			check := exec.Command(fast, "check", "--mirror", "registry.internal.example.com/mirror", "--allow", "registry.internal.example.com")
			check.Stdin = strings.NewReader(stdout)
			if out, err := check.CombinedOutput(); err != nil {
				t.Errorf("helm-airgap check on the kustomize output: %v\n%s", err, out)
			}
		})
	}
}

func TestKustomizeTransformerFailsClosed(t *testing.T) {
	krm := testtool.Command(t, "helm-airgap-krm")
	// No mirror: nginx and busybox stay on Docker Hub.
	stdout, stderr, code := kustomizeBuild(t, "apiVersion: helm-airgap/v1\nkind: AirgapConfig\nmetadata:\n  name: airgap\n"+execAnnotation(krm)+`rules:
  - from: quay.io
    to: registry.internal.example.com/quay
`)
	if code == 0 {
		t.Fatalf("kustomize build succeeded with public images:\n%s", stdout)
	}
	if stdout != "" {
		t.Errorf("kustomize printed manifests on failure:\n%s", stdout)
	}
	for _, want := range []string{
		"[error] apps/v1/Deployment/prod/web spec.template.spec.containers[0].image: container web: image nginx:1.27",
		"spec.template.spec.containers[0].args[0]",
		"docker.io/library/busybox:1.36",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
