package cluster

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestClassify(t *testing.T) {
	yes := true
	owned := func(kind string, uid types.UID) []metav1.OwnerReference {
		return []metav1.OwnerReference{{Kind: kind, Name: "o", UID: uid, Controller: &yes}}
	}
	release := map[string]string{releaseAnnotation: "platform"}
	objs := map[types.UID]*metav1.ObjectMeta{
		"dep":     {UID: "dep", Namespace: "app", Annotations: release},
		"rs":      {UID: "rs", Namespace: "app", OwnerReferences: owned("Deployment", "dep")},
		"other":   {UID: "other", Namespace: "app", Annotations: map[string]string{releaseAnnotation: "other"}},
		"op":      {UID: "op", Namespace: "app"},
		"cycle-a": {UID: "cycle-a", Namespace: "app", OwnerReferences: owned("ReplicaSet", "cycle-b")},
		"cycle-b": {UID: "cycle-b", Namespace: "app", OwnerReferences: owned("ReplicaSet", "cycle-a")},
	}
	byUID := map[types.UID]metav1.Object{}
	for uid, m := range objs {
		byUID[uid] = m
	}
	cases := []struct {
		name    string
		obj     metav1.ObjectMeta
		release string
		want    Class
	}{
		{"pod of a release's deployment", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("ReplicaSet", "rs")}, "", Rendered},
		{"the release asked for", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("ReplicaSet", "rs")}, "platform", Rendered},
		{"another release's object", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("StatefulSet", "other")}, "platform", Runtime},
		{"any release's object", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("StatefulSet", "other")}, "", Rendered},
		{"an operator's pod", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("StorageCluster", "op")}, "", Runtime},
		{"owner not listed", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("Widget", "gone")}, "", Runtime},
		{"owner cycle", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("ReplicaSet", "cycle-a")}, "", Runtime},
		{"a bare pod", metav1.ObjectMeta{Namespace: "app"}, "", Runtime},
		{"static pod's mirror", metav1.ObjectMeta{Namespace: "app", Annotations: map[string]string{corev1.MirrorPodAnnotationKey: "x"}}, "", Node},
		{"node-owned pod", metav1.ObjectMeta{Namespace: "app", OwnerReferences: owned("Node", "n1")}, "", Node},
		{"kube-system daemon", metav1.ObjectMeta{Namespace: "kube-system", Annotations: release}, "", Node},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := classify(&c.obj, byUID, c.release); got != c.want {
				t.Errorf("classify = %s, want %s", got, c.want)
			}
		})
	}
}
