package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plexicus/helm-airgap/internal/controlplane"
	"github.com/plexicus/helm-airgap/internal/testtool"
	"github.com/plexicus/helm-airgap/plan"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestMain(m *testing.M) { os.Exit(controlplane.Main(m)) }

const (
	chartImage   = "registry.internal.example.com/bitnami/mongodb:8.0.4"
	engineSource = "quay.io/example/storage-engine:1.2"
	engineMirror = "registry.internal.example.com/mirror/example/storage-engine:1.2"
	seedSource   = "docker.io/bitnamilegacy/os-shell:12"
	seedMirror   = "registry.internal.example.com/bitnami/os-shell:12"
)

// helmAirgap runs the fast binary, which execs this companion for
// --from-cluster, and returns stdout, stderr and the exit code.
func helmAirgap(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	testtool.Command(t, "helm-airgap-cluster") // beside helm-airgap, as make build puts it
	cmd := exec.Command(testtool.Command(t, "helm-airgap"), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// TestFromCluster installs objects as the chart would (Helm's release
// annotation, images already on the mirror) and pods as an operator would
// (images the render does not hold), then captures and checks the cluster.
func TestFromCluster(t *testing.T) {
	cp := controlplane.Shared(t)
	ns := cp.Namespace(t)
	kubeconfig := cp.KubeconfigFor(t, ns)
	config := filepath.Join("..", "..", "testdata", "charts", "airgap.yaml")
	ctx := context.Background()
	createRelease(t, cp, ns)
	createOperatorPods(t, cp, ns, engineSource, seedSource)

	out, stderr, code := helmAirgap(t, "images", "--from-cluster", "-c", config, "--kubeconfig", kubeconfig, "-o", "json")
	if code != 0 {
		t.Fatalf("images --from-cluster: exit %d\n%s", code, stderr)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("the plan is not JSON: %v\n%s", err, out)
	}
	want := map[string][2]string{ // source -> destination, class
		chartImage:   {chartImage, "rendered"},
		engineSource: {engineMirror, "runtime"},
		seedSource:   {seedMirror, "runtime"},
	}
	for _, img := range p.Images {
		w, ok := want[img.Source]
		if !ok {
			t.Errorf("unexpected image %s", img.Source)
			continue
		}
		if img.Destination != w[0] || img.Cluster != w[1] {
			t.Errorf("%s: destination %s, %s; want %s, %s", img.Source, img.Destination, img.Cluster, w[0], w[1])
		}
		delete(want, img.Source)
	}
	for source := range want {
		t.Errorf("%s is missing from the capture:\n%s", source, out)
	}

	_, stderr, code = helmAirgap(t, "check", "--from-cluster", "-c", config, "--kubeconfig", kubeconfig, "-n", ns)
	if code != 1 {
		t.Fatalf("check --from-cluster with operator pods off the mirror: exit %d, want 1\n%s", code, stderr)
	}
	for _, part := range []string{"Pod " + ns + "/storage-engine", engineSource, "Pod " + ns + "/seed", seedSource} {
		if !strings.Contains(stderr, part) {
			t.Errorf("the check's report does not name %q:\n%s", part, stderr)
		}
	}
	if strings.Contains(stderr, chartImage) {
		t.Errorf("the check reports the release's mirrored image:\n%s", stderr)
	}

	// The images are mirrored and the operator's pods re-created from the mirror.
	for _, name := range []string{"storage-engine", "seed"} {
		if err := cp.Client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil {
			t.Fatal(err)
		}
	}
	createOperatorPods(t, cp, ns, engineMirror, seedMirror)
	_, stderr, code = helmAirgap(t, "check", "--from-cluster", "-c", config, "--kubeconfig", kubeconfig, "-n", ns)
	if code != 0 {
		t.Fatalf("check --from-cluster after re-creating the pods from the mirror: exit %d\n%s", code, stderr)
	}
}

// TestFromClusterUsage: a cluster that cannot be read and conflicting
// flags are usage errors (exit 2), never a verdict.
func TestFromClusterUsage(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-kubeconfig")
	_, stderr, code := helmAirgap(t, "check", "--from-cluster", "--mirror", "registry.internal.example.com/mirror", "--kubeconfig", missing)
	if code != 2 || !strings.Contains(stderr, "kubeconfig") {
		t.Errorf("a missing kubeconfig: exit %d, %q; want 2 naming the kubeconfig", code, stderr)
	}
	_, stderr, code = helmAirgap(t, "images", "--from-cluster", "--mirror", "registry.internal.example.com/mirror", "-A", "-n", "x")
	if code != 2 || !strings.Contains(stderr, "exclusive") {
		t.Errorf("-A with -n: exit %d, %q; want 2", code, stderr)
	}
}

// createRelease creates what helm install of the chart (rewritten) leaves:
// a Deployment with Helm's annotation, and, as its controllers would, a
// ReplicaSet and a Pod owned through it.
func createRelease(t *testing.T, cp *controlplane.ControlPlane, ns string) {
	t.Helper()
	ctx := context.Background()
	labels := map[string]string{"app": "mongodb"}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: podSpec(chartImage)}
	dep, err := cp.Client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "mongodb", Annotations: map[string]string{"meta.helm.sh/release-name": "platform"}},
		Spec:       appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cp.Client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "mongodb-1", OwnerReferences: []metav1.OwnerReference{controller("apps/v1", "Deployment", dep.ObjectMeta)}},
		Spec:       appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cp.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "mongodb-1-abcde", Labels: labels, OwnerReferences: []metav1.OwnerReference{controller("apps/v1", "ReplicaSet", rs.ObjectMeta)}},
		Spec:       podSpec(chartImage),
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createOperatorPods creates pods the way an operator does at run time:
// from images compiled into it, owned by nothing in the release.
func createOperatorPods(t *testing.T, cp *controlplane.ControlPlane, ns, engine, seed string) {
	t.Helper()
	ctx := context.Background()
	engines := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "storage-engine"}, Spec: podSpec(engine)}
	seeds := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "seed"}, Spec: podSpec(chartImage)}
	seeds.Spec.InitContainers = []corev1.Container{{Name: "init", Image: seed}}
	for _, p := range []*corev1.Pod{engines, seeds} {
		if _, err := cp.Client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func podSpec(image string) corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image}}}
}

func controller(apiVersion, kind string, owner metav1.ObjectMeta) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: owner.Name, UID: owner.UID, Controller: ptr.To(true)}
}

// TestPolicyCommand runs helm-airgap policy through the fast binary: the
// output is the admission package's golden files for the same config, and
// bad flags are usage errors naming the flag.
func TestPolicyCommand(t *testing.T) {
	config := filepath.Join("..", "..", "testdata", "charts", "airgap.yaml")
	for args, golden := range map[string]string{
		"":                "vap.yaml",
		"-o kyverno":      "kyverno.yaml",
		"--action deny":   "vap.yaml",
		"-o vap --name x": "",
	} {
		out, stderr, code := helmAirgap(t, append([]string{"policy", "-c", config}, strings.Fields(args)...)...)
		if code != 0 {
			t.Errorf("policy %s: exit %d\n%s", args, code, stderr)
			continue
		}
		if golden == "" {
			if !strings.Contains(out, "name: x\n") || !strings.Contains(out, "policyName: x\n") {
				t.Errorf("policy %s does not name the policy and binding x:\n%s", args, out)
			}
			continue
		}
		want, err := os.ReadFile(filepath.Join("..", "..", "admission", "testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		if out != string(want) {
			t.Errorf("policy %s differs from admission/testdata/%s:\n%s", args, golden, out)
		}
	}
	for _, c := range []struct{ args, want string }{
		{"--action enforce", "--action"},
		{"--namespace-selector a in (b", "--namespace-selector"},
		{"-o gatekeeper", "--output"},
		{"--rule docker.io=docker.io/x", "public registry"},
	} {
		_, stderr, code := helmAirgap(t, append([]string{"policy", "-c", config}, strings.SplitN(c.args, " ", 2)...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("policy %s: exit %d, %q; want 2 naming %s", c.args, code, stderr, c.want)
		}
	}
	out, _, code := helmAirgap(t, "images", "--from-cluster", "--help")
	if code != 0 || !strings.Contains(out, "runtime") || !strings.Contains(out, "--kubeconfig") {
		t.Errorf("images --from-cluster --help: exit %d\n%s", code, out)
	}
}
