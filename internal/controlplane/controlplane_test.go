package controlplane

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

var podSpec = corev1.PodSpec{
	RestartPolicy: corev1.RestartPolicyNever,
	Containers:    []corev1.Container{{Name: "main", Image: "registry.internal.example.com/busybox:1"}},
}

// TestHooksComplete: what Helm waits on happens without a kubelet, and
// what ran stays visible after it is deleted.
func TestHooksComplete(t *testing.T) {
	cp := Shared(t)
	ns := cp.Namespace(t)
	ctx := context.Background()
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "hook"}, Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: podSpec}}}
	if _, err := cp.Client.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test"}, Spec: podSpec}
	if _, err := cp.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Not a timing assertion: the bound only keeps a broken controller
	// from hanging the test.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		j, err := cp.Client.BatchV1().Jobs(ns).Get(ctx, "hook", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		p, err := cp.Client.CoreV1().Pods(ns).Get(ctx, "test", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return finished(j.Status.Conditions) && p.Status.Phase == corev1.PodSucceeded, nil
	})
	if err != nil {
		t.Fatalf("the Job did not complete or the Pod did not succeed: %v", err)
	}

	stored := map[string]bool{}
	for _, obj := range cp.Objects(t, ns) {
		stored[key(obj)] = true
	}
	if !stored["Job/hook"] || !stored["Pod/test"] {
		t.Errorf("Objects lacks the Job or the Pod: %v", stored)
	}

	if err := cp.Client.BatchV1().Jobs(ns).Delete(ctx, "hook", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, obj := range cp.Ran(ns) {
		ran = append(ran, key(obj))
	}
	// The Job and the Pod are watched apart: either may be seen first.
	slices.Sort(ran)
	if !slices.Equal(ran, []string{"Job/hook", "Pod/test"}) {
		t.Errorf("Ran = %v, want the deleted Job and the Pod", ran)
	}
}

// TestNamespacesApart: each test gets a namespace of its own, named after it.
func TestNamespacesApart(t *testing.T) {
	cp := Shared(t)
	a, b := cp.Namespace(t), cp.Namespace(t)
	if a == b || len(cp.Objects(t, a)) != 0 {
		t.Errorf("namespaces %q and %q are not fresh and apart", a, b)
	}
	if want := "testnamespacesapart-"; a[:len(want)] != want {
		t.Errorf("namespace %q is not named after the test", a)
	}
}

func TestNamespacePrefix(t *testing.T) {
	for _, tc := range []struct{ test, want string }{
		{"TestHelm3/install_into_cluster", "testhelm3-install-into-cluster-"},
		{"Test__x", "test-x-"},
		{"TestAVeryLongNameThatGoesOnAndOnAndOnBeyondTheLimitOfALabel", "testaverylongnamethatgoesonandonandonbeyondthelimi-"},
	} {
		if got := namespacePrefix(tc.test); got != tc.want {
			t.Errorf("namespacePrefix(%q) = %q, want %q", tc.test, got, tc.want)
		}
	}
}
