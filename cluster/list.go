package cluster

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// list reads every pod and workload of one namespace ("" for all). Lists
// are paged by client-go's defaults; a namespace of tens of thousands of
// pods is still one request per kind.
func list(ctx context.Context, client kubernetes.Interface, ns string) ([]object, error) {
	var out []object
	add := func(apiVersion, kind string, meta metav1.Object, spec any) {
		out = append(out, object{apiVersion: apiVersion, kind: kind, meta: meta, spec: spec})
	}
	opts := metav1.ListOptions{}
	where := "namespace " + ns
	if ns == "" {
		where = "every namespace"
	}
	fail := func(kind string, err error) error {
		return fmt.Errorf("listing the %s of %s: %w", kind, where, err)
	}

	pods, err := client.CoreV1().Pods(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("pods", err)
	}
	for i := range pods.Items {
		add("v1", "Pod", &pods.Items[i], pods.Items[i].Spec)
	}
	apps := client.AppsV1()
	deployments, err := apps.Deployments(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("deployments", err)
	}
	for i := range deployments.Items {
		add("apps/v1", "Deployment", &deployments.Items[i], deployments.Items[i].Spec)
	}
	statefulSets, err := apps.StatefulSets(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("statefulsets", err)
	}
	for i := range statefulSets.Items {
		add("apps/v1", "StatefulSet", &statefulSets.Items[i], statefulSets.Items[i].Spec)
	}
	daemonSets, err := apps.DaemonSets(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("daemonsets", err)
	}
	for i := range daemonSets.Items {
		add("apps/v1", "DaemonSet", &daemonSets.Items[i], daemonSets.Items[i].Spec)
	}
	replicaSets, err := apps.ReplicaSets(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("replicasets", err)
	}
	for i := range replicaSets.Items {
		add("apps/v1", "ReplicaSet", &replicaSets.Items[i], replicaSets.Items[i].Spec)
	}
	jobs, err := client.BatchV1().Jobs(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("jobs", err)
	}
	for i := range jobs.Items {
		add("batch/v1", "Job", &jobs.Items[i], jobs.Items[i].Spec)
	}
	cronJobs, err := client.BatchV1().CronJobs(ns).List(ctx, opts)
	if err != nil {
		return nil, fail("cronjobs", err)
	}
	for i := range cronJobs.Items {
		add("batch/v1", "CronJob", &cronJobs.Items[i], cronJobs.Items[i].Spec)
	}
	return out, nil
}
