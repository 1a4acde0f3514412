package controlplane

import (
	"context"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
)

// hookRunner stands in for the kubelet and the Job controller, as far as
// Helm's hook waiting goes: every Job it sees is completed and every Pod
// succeeds, at once. It remembers each Job and Pod as first seen, because
// Helm deletes a hook once it has run (or before it runs again).
type hookRunner struct {
	client kubernetes.Interface
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seen map[string][]map[string]any // namespace -> Jobs and Pods, in order
	uids map[string]bool
}

func runHooks(client kubernetes.Interface) *hookRunner {
	ctx, cancel := context.WithCancel(context.Background())
	h := &hookRunner{client: client, cancel: cancel, done: make(chan struct{}),
		seen: map[string][]map[string]any{}, uids: map[string]bool{}}
	factory := informers.NewSharedInformerFactory(client, 0)
	jobs := factory.Batch().V1().Jobs().Informer()
	pods := factory.Core().V1().Pods().Informer()
	_, _ = jobs.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { h.job(ctx, obj.(*batchv1.Job)) },
		UpdateFunc: func(_, obj any) { h.job(ctx, obj.(*batchv1.Job)) },
	})
	_, _ = pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { h.pod(ctx, obj.(*corev1.Pod)) },
		UpdateFunc: func(_, obj any) { h.pod(ctx, obj.(*corev1.Pod)) },
	})
	factory.Start(ctx.Done())
	go func() {
		factory.WaitForCacheSync(ctx.Done())
		<-ctx.Done()
		factory.Shutdown()
		close(h.done)
	}()
	return h
}

func (h *hookRunner) stop() {
	h.cancel()
	<-h.done
}

// ran lists the Jobs and Pods seen in namespace, in the order they were
// first seen, as the API server stored them on creation.
func (h *hookRunner) ran(namespace string) []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.seen[namespace]...)
}

// remember records obj the first time its UID is seen.
func (h *hookRunner) remember(obj runtime.Object, meta metav1.ObjectMeta, kind string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.uids[string(meta.UID)] {
		return
	}
	h.uids[string(meta.UID)] = true
	doc, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		doc = map[string]any{"metadata": map[string]any{"name": meta.Name}, "error": err.Error()}
	}
	doc["kind"] = kind // informers drop the type meta
	h.seen[meta.Namespace] = append(h.seen[meta.Namespace], doc)
}

// job completes a Job as the Job controller would after its Pod succeeded.
func (h *hookRunner) job(ctx context.Context, job *batchv1.Job) {
	h.remember(job, job.ObjectMeta, "Job")
	if finished(job.Status.Conditions) {
		return
	}
	_ = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := h.client.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil || current.UID != job.UID || finished(current.Status.Conditions) {
			return err
		}
		now := metav1.NewTime(time.Now())
		current.Status.StartTime = &now
		current.Status.CompletionTime = &now
		current.Status.Active = 0
		current.Status.Succeeded = 1
		// Since Kubernetes 1.31 a Complete Job must also have met its
		// success criteria.
		current.Status.Conditions = append(current.Status.Conditions,
			batchv1.JobCondition{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now},
			batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now, LastProbeTime: now})
		_, err = h.client.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, current, metav1.UpdateOptions{})
		return err
	})
}

func finished(conditions []batchv1.JobCondition) bool {
	for _, c := range conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// pod makes a Pod succeed as a kubelet would once its containers exited 0.
func (h *hookRunner) pod(ctx context.Context, pod *corev1.Pod) {
	h.remember(pod, pod.ObjectMeta, "Pod")
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return
	}
	_ = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current, err := h.client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil || current.UID != pod.UID || current.Status.Phase == corev1.PodSucceeded {
			return err
		}
		current.Status.Phase = corev1.PodSucceeded
		_, err = h.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, current, metav1.UpdateOptions{})
		return err
	})
}
