package admission

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plexicus/helm-airgap/internal/controlplane"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	sigsyaml "sigs.k8s.io/yaml"
)

func TestMain(m *testing.M) { os.Exit(controlplane.Main(m)) }

// propagation bounds how long a new policy or binding may take to reach
// the API server's admission plugin (it watches them; usually about a
// second).
const propagation = 90 * time.Second

const (
	publicImage = "nginx:1.27"
	mirrorImage = "registry.internal.example.com/mirror/library/nginx:1.27"
)

// TestPolicyOnAPIServer applies the written policy and binding to a real
// kube-apiserver and has it admit and refuse pods and workloads.
func TestPolicyOnAPIServer(t *testing.T) {
	cp := controlplane.Shared(t)
	mapper := sampleMapper(t)
	denyNS, warnNS, otherNS := cp.Namespace(t), cp.Namespace(t), cp.Namespace(t)
	applyPolicy(t, cp.Client, mapper, Options{Name: "deny-" + denyNS, Action: Deny, NamespaceSelector: nameSelector(t, denyNS)})
	applyPolicy(t, cp.Client, mapper, Options{Name: "warn-" + warnNS, Action: Warn, NamespaceSelector: nameSelector(t, warnNS)})
	ctx := context.Background()
	pods := cp.Client.CoreV1().Pods(denyNS)
	waitEnforced(t, func() error {
		_, err := pods.Create(ctx, pod("probe", publicImage), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	})

	t.Run("public pod denied with the container, image and rule", func(t *testing.T) {
		p := pod("public", publicImage)
		p.Spec.InitContainers = []corev1.Container{{Name: "seed", Image: "docker.io/bitnamilegacy/mongodb:8.0"}}
		_, err := pods.Create(ctx, p, metav1.CreateOptions{})
		wantDenied(t, err,
			"container app image nginx:1.27 is not on the internal registry; the catch-all mirror maps it to registry.internal.example.com/mirror/library/nginx:1.27",
			"init container seed image docker.io/bitnamilegacy/mongodb:8.0 is not on the internal registry; the rule from docker.io/bitnamilegacy maps it to registry.internal.example.com/bitnami/mongodb:8.0")
	})
	t.Run("mirror pod admitted", func(t *testing.T) {
		if _, err := pods.Create(ctx, pod("mirrored", mirrorImage), metav1.CreateOptions{}); err != nil {
			t.Fatalf("a pod on the mirror was refused: %v", err)
		}
	})
	t.Run("ephemeral container through the subresource denied", func(t *testing.T) {
		// kubectl debug's own loop: the pod may change between the read
		// and the update (a conflict is not the policy's answer).
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			p, err := pods.Get(ctx, "mirrored", metav1.GetOptions{})
			if err != nil {
				return err
			}
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox:1.36", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile},
			})
			_, err = pods.UpdateEphemeralContainers(ctx, "mirrored", p, metav1.UpdateOptions{})
			return err
		})
		wantDenied(t, err, "ephemeral container debugger image busybox:1.36 is not on the internal registry; the catch-all mirror maps it to registry.internal.example.com/mirror/library/busybox:1.36")
	})
	t.Run("deployment with a public template denied", func(t *testing.T) {
		_, err := cp.Client.AppsV1().Deployments(denyNS).Create(ctx, deployment("web", "quay.io/prometheus/prometheus:v3.0.0"), metav1.CreateOptions{})
		wantDenied(t, err, "container app image quay.io/prometheus/prometheus:v3.0.0 is not on the internal registry; the catch-all mirror maps it to registry.internal.example.com/mirror/prometheus/prometheus:v3.0.0")
	})
	t.Run("cronjob with a public job template denied", func(t *testing.T) {
		_, err := cp.Client.BatchV1().CronJobs(denyNS).Create(ctx, cronJob("nightly", "europe-west3-docker.pkg.dev/plexicus-registry/platform/backup:1"), metav1.CreateOptions{})
		wantDenied(t, err, "container app image europe-west3-docker.pkg.dev/plexicus-registry/platform/backup:1 is not on the internal registry; the rule from europe-west3-docker.pkg.dev/plexicus-registry/platform maps it to registry.internal.example.com/plexicus/backup:1")
	})
	t.Run("deployment on the mirror admitted", func(t *testing.T) {
		if _, err := cp.Client.AppsV1().Deployments(denyNS).Create(ctx, deployment("web-mirrored", mirrorImage), metav1.CreateOptions{}); err != nil {
			t.Fatalf("a deployment on the mirror was refused: %v", err)
		}
	})
	t.Run("warn admits with a warning", func(t *testing.T) {
		client, warnings := warningClient(t, cp.Config)
		warned := client.CoreV1().Pods(warnNS)
		waitWarned(t, warnings, func() error {
			_, err := warned.Create(ctx, pod("probe", publicImage), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			return err
		})
		warnings.reset()
		if _, err := warned.Create(ctx, pod("public", publicImage), metav1.CreateOptions{}); err != nil {
			t.Fatalf("warn refused the pod: %v", err)
		}
		if got := warnings.text(); !strings.Contains(got, "container app image nginx:1.27 is not on the internal registry") {
			t.Errorf("warning = %q, want one naming the container and image", got)
		}
	})
	t.Run("namespace outside the selector untouched", func(t *testing.T) {
		if _, err := cp.Client.CoreV1().Pods(otherNS).Create(ctx, pod("public", publicImage), metav1.CreateOptions{}); err != nil {
			t.Fatalf("a namespace no binding selects was policed: %v", err)
		}
	})
}

// TestRequireDigestOnAPIServer: with --lock, an internal image by tag is
// refused and the same image by digest admitted.
func TestRequireDigestOnAPIServer(t *testing.T) {
	cp := controlplane.Shared(t)
	ns := cp.Namespace(t)
	applyPolicy(t, cp.Client, sampleMapper(t), Options{Name: "lock-" + ns, Action: Deny, RequireDigest: true, NamespaceSelector: nameSelector(t, ns)})
	ctx := context.Background()
	pods := cp.Client.CoreV1().Pods(ns)
	waitEnforced(t, func() error {
		_, err := pods.Create(ctx, pod("probe", publicImage), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err
	})
	_, err := pods.Create(ctx, pod("by-tag", mirrorImage), metav1.CreateOptions{})
	wantDenied(t, err, "container app image "+mirrorImage+" is not pinned to a digest")
	pinned := mirrorImage + "@sha256:" + strings.Repeat("ab", 32)
	if _, err := pods.Create(ctx, pod("by-digest", pinned), metav1.CreateOptions{}); err != nil {
		t.Fatalf("a digest-pinned mirror image was refused: %v", err)
	}
}

// applyPolicy writes the policy as the command does and creates what it
// wrote, failing on a field the API server does not know.
func applyPolicy(t *testing.T, client kubernetes.Interface, mapper mapperT, o Options) {
	t.Helper()
	out, err := WriteVAP(mapper, o)
	if err != nil {
		t.Fatal(err)
	}
	docs := splitYAML(t, out)
	if len(docs) != 2 {
		t.Fatalf("WriteVAP wrote %d documents, want 2", len(docs))
	}
	var policy admissionv1.ValidatingAdmissionPolicy
	var binding admissionv1.ValidatingAdmissionPolicyBinding
	if err := sigsyaml.UnmarshalStrict(docs[0], &policy); err != nil {
		t.Fatalf("the policy does not read back: %v", err)
	}
	if err := sigsyaml.UnmarshalStrict(docs[1], &binding); err != nil {
		t.Fatalf("the binding does not read back: %v", err)
	}
	ctx := context.Background()
	strict := metav1.CreateOptions{FieldValidation: "Strict"}
	api := client.AdmissionregistrationV1()
	if _, err := api.ValidatingAdmissionPolicies().Create(ctx, &policy, strict); err != nil {
		t.Fatalf("creating the policy: %v", err)
	}
	if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, &binding, strict); err != nil {
		t.Fatalf("creating the binding: %v", err)
	}
	t.Cleanup(func() {
		api.ValidatingAdmissionPolicyBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
		api.ValidatingAdmissionPolicies().Delete(ctx, policy.Name, metav1.DeleteOptions{})
	})
}

func splitYAML(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := yaml.NewYAMLReader(bufioReader(data))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err != nil {
			break
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
	return docs
}

// waitEnforced polls a dry run of a request the policy refuses until it is
// refused: the admission plugin learns of a new policy through a watch.
func waitEnforced(t *testing.T, try func() error) {
	t.Helper()
	deadline := time.Now().Add(propagation)
	for {
		err := try()
		if apierrors.IsInvalid(err) || apierrors.IsForbidden(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the policy was not enforced within %v (last answer: %v)", propagation, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitWarned polls until a dry run comes back with a warning.
func waitWarned(t *testing.T, w *warnings, try func() error) {
	t.Helper()
	deadline := time.Now().Add(propagation)
	for {
		w.reset()
		if err := try(); err != nil {
			t.Fatalf("warn refused a dry run: %v", err)
		}
		if w.text() != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning within %v", propagation)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func wantDenied(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("admitted; want refused by the policy")
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		t.Fatalf("error %v is not the API server's", err)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("refusal %q\ndoes not say %q", err, part)
		}
	}
}

// warnings records the API server's warnings to one client.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.list, "\n")
}

func (w *warnings) reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = nil
}

func warningClient(t *testing.T, config *rest.Config) (kubernetes.Interface, *warnings) {
	t.Helper()
	w := &warnings{}
	c := rest.CopyConfig(config)
	c.WarningHandler = w
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	return client, w
}

func nameSelector(t *testing.T, namespace string) *metav1.LabelSelector {
	t.Helper()
	sel, err := ParseSelector("--namespace-selector", fmt.Sprintf("kubernetes.io/metadata.name=%s", namespace))
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func podSpec(image string) corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}}
}

func pod(name, image string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: podSpec(image)}
}

func template(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}}, Spec: podSpec(image)}
}

func deployment(name, image string) *appsv1.Deployment {
	return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, Template: template(image),
	}}
}

func cronJob(name, image string) *batchv1.CronJob {
	tmpl := template(image)
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	return &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: batchv1.CronJobSpec{
		Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}},
	}}
}
