package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// Class says where a running object came from.
type Class string

const (
	// Rendered objects were made by the release (Helm's release
	// annotation on them or on an owner), or hold an image of the
	// rendered manifests given for comparison.
	Rendered Class = "rendered"
	// Runtime objects were created by something else at run time: an
	// operator's pods, a kubectl run.
	Runtime Class = "runtime"
	// Node objects belong to the nodes: static (mirror) pods, pods owned
	// by a Node, everything in kube-system.
	Node Class = "node"
)

// releaseAnnotation is what Helm puts on every object of a release.
const releaseAnnotation = "meta.helm.sh/release-name"

// Options choose what is read.
type Options struct {
	// Namespaces to read; AllNamespaces reads every one.
	Namespaces    []string
	AllNamespaces bool
	// Release, when set, counts only that release's objects as rendered
	// (Helm's release annotation); any release's otherwise.
	Release string
}

// Snapshot is what a cluster runs: its pods and workloads as a manifest
// stream, and the class of each.
type Snapshot struct {
	Manifests []byte
	classes   map[string]Class // kind/namespace/name -> class
	Objects   int
}

// Class is the class of an object of the snapshot ("" if it is not one).
func (s *Snapshot) Class(kind, namespace, name string) Class {
	return s.classes[kind+"/"+namespace+"/"+name]
}

// object is one listed object, reduced to what the stream and the classes
// need.
type object struct {
	apiVersion, kind string
	meta             metav1.Object
	spec             any
}

// Capture lists the pods and workloads of the chosen namespaces.
func Capture(ctx context.Context, client kubernetes.Interface, o Options) (*Snapshot, error) {
	namespaces := o.Namespaces
	if o.AllNamespaces {
		namespaces = []string{metav1.NamespaceAll}
	}
	if len(namespaces) == 0 {
		return nil, errors.New("no namespace to read: name one (-n) or read them all (--all-namespaces)")
	}
	var objects []object
	for _, ns := range namespaces {
		listed, err := list(ctx, client, ns)
		if err != nil {
			return nil, err
		}
		objects = append(objects, listed...)
	}
	sort.SliceStable(objects, func(i, j int) bool { return key(objects[i]) < key(objects[j]) })
	byUID := map[types.UID]metav1.Object{}
	for _, obj := range objects {
		byUID[obj.meta.GetUID()] = obj.meta
	}
	s := &Snapshot{classes: map[string]Class{}, Objects: len(objects)}
	var stream bytes.Buffer
	for _, obj := range objects {
		s.classes[key(obj)] = classify(obj.meta, byUID, o.Release)
		doc, err := yaml.Marshal(map[string]any{
			"apiVersion": obj.apiVersion, "kind": obj.kind,
			"metadata": map[string]string{"name": obj.meta.GetName(), "namespace": obj.meta.GetNamespace()},
			"spec":     obj.spec,
		})
		if err != nil {
			return nil, fmt.Errorf("writing %s %s/%s as YAML: %w", obj.kind, obj.meta.GetNamespace(), obj.meta.GetName(), err)
		}
		stream.WriteString("---\n")
		stream.Write(doc)
	}
	s.Manifests = stream.Bytes()
	return s, nil
}

func key(obj object) string {
	return obj.kind + "/" + obj.meta.GetNamespace() + "/" + obj.meta.GetName()
}

// classify follows an object's controller owners: a static pod or a
// Node-owned one, or anything in kube-system, is the node's; an object
// that, or whose owner, carries the release annotation is rendered;
// anything else was made at run time.
func classify(obj metav1.Object, byUID map[types.UID]metav1.Object, release string) Class {
	if obj.GetNamespace() == metav1.NamespaceSystem {
		return Node
	}
	if _, ok := obj.GetAnnotations()[corev1.MirrorPodAnnotationKey]; ok {
		return Node
	}
	seen := map[types.UID]bool{}
	for cur := obj; cur != nil && !seen[cur.GetUID()]; {
		seen[cur.GetUID()] = true
		if name, ok := cur.GetAnnotations()[releaseAnnotation]; ok && (release == "" || name == release) {
			return Rendered
		}
		owner := metav1.GetControllerOfNoCopy(cur)
		if owner == nil {
			break
		}
		if owner.Kind == "Node" {
			return Node
		}
		cur = byUID[owner.UID]
	}
	return Runtime
}
