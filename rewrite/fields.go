package rewrite

// The places images live, kept as data apart from the code that walks them
// (as kustomize's imagetag filter keeps its field specs).

// containerLists are the pod-spec keys whose items are containers. A mapping
// holding one of them as a sequence is pod-spec shaped, whatever its kind:
// that is how pod templates embedded in custom resources (Argo Rollouts,
// KEDA ScaledJobs, OpenKruise workloads...) are found.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// templateKeys name the parent of a pod template's "spec": a pod spec found
// under one of them gets imagePullSecrets. Other pod-spec shaped mappings
// (such as a Prometheus CR's spec.containers patches) have their images
// rewritten but are not given fields their schema may not have.
var templateKeys = map[string]bool{"template": true}

// podKinds are the kinds whose top-level spec is itself a pod spec.
var podKinds = map[string]bool{"Pod": true}

const (
	keyImage            = "image"
	keyImagePullSecrets = "imagePullSecrets"
	keyVolumes          = "volumes"
	keyEnv              = "env"
	keySpec             = "spec"
)
