package detect

import (
	"github.com/plexicus/helm-airgap/rules/reference"
	"testing"
)

func TestNameRole(t *testing.T) {
	tests := []struct {
		name string
		want Role
	}{
		{"image", RoleImage},
		{"images", RoleImage},
		{"imageName", RoleImage},
		{"imageRef", RoleImage},
		{"imageK8S", RoleImage},
		{"imageConsulDataplane", RoleImage},
		{"agentImage", RoleImage},
		{"node.collector.imageRef", RoleImage},
		{"CSI_ATTACHER_IMAGE", RoleImage},
		{"AGENT_INJECT_VAULT_IMAGE", RoleImage},
		{"RELATED_IMAGE_OPERAND", RoleImage},
		{"OPERATOR_IMAGE_NAME", RoleImage},
		{"STRIMZI_KAFKA_IMAGES", RoleImage},
		{"--engine-image", RoleImage},
		{"-consul-k8s-image", RoleImage},
		{"--prometheus-config-reloader", RoleNone},
		{"imagePullPolicy", RoleNone},
		{"imagePullSecrets", RoleNone},
		{"imageTag", RoleTag},
		{"IMAGE_TAG", RoleTag},
		{"imageRegistry", RoleRegistry},
		{"global.imageRegistry", RoleRegistry},
		{"repository", RoleRepository},
		{"trivy.dbRepository", RoleRepository},
		{"TRIVY_DB_REPOSITORY", RoleRepository},
		{"repoURL", RoleNone},
		{"hub", RoleHub},
		{"registryPrefix", RoleHub},
		{"tag", RoleTag},
		{"version", RoleTag},
		{"name", RoleNone},
		{"", RoleNone},
		{"description", RoleNone},
	}
	for _, tt := range tests {
		if got := NameRole(tt.name); got != tt.want {
			t.Errorf("NameRole(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	placeholder := func(s string) bool { return s == "auto" }
	tests := []struct {
		value, name string
		implicit    bool
		want        bool
	}{
		// Image-named contexts take implicit Docker Hub names.
		{"nginx", "image", false, false},
		{"nginx", "--image", false, true},
		{"busybox", "SIDECAR_IMAGE", false, true},
		{"proxyv2", "image", false, false},
		{"nginx:1.25", "image", false, true},
		{"bitnami/redis", "image", false, true},
		{"vendor/engine:v1.6", "--engine-image", false, true},
		{"hashicorp/vault:2.0.4", "AGENT_INJECT_VAULT_IMAGE", false, true},
		{"busybox", "", true, true},
		// Explicit registries with a tag or digest count anywhere.
		{"quay.io/strimzi/kafka:0.43.0", "3.8.0", false, true},
		{"quay.io/strimzi/maven-builder:1.2.0", "STRIMZI_DEFAULT_MAVEN_BUILDER", false, true},
		{"registry.k8s.io/pause@sha256:0000000000000000000000000000000000000000000000000000000000000000", "", false, true},
		{"localhost:5000/app:1", "", false, true},
		// Explicit registry without a tag needs an image-named context.
		{"cr.example.io/vendor/controller", "controllerImage", false, true},
		{"quay.io/org/app", "endpoint", false, false},
		// Implicit names outside image contexts are not images.
		{"bitnami/redis:7", "value", false, false},
		{"nginx", "name", false, false},
		// Rejected shapes.
		{"https://quay.io/org/app:1", "image", false, false},
		{"postgres.example.svc:5432", "", false, false},
		{"1.2.3", "image", false, false},
		{"v1", "imageTag", false, false},
		{"Always", "imagePullPolicy", false, false},
		{"always", "image", false, false},
		{"true", "image", false, false},
		{"auto", "image", false, false},
		{"auto", "", true, false},
		{"app.kubernetes.io/name", "", false, false},
		{"topology.kubernetes.io/zone:eu-west-1a", "", false, false},
		{"pull quay.io/x:1", "", false, false},
		{"{{ .Values.image }}", "image", false, false},
		{"", "image", false, false},
		{"Nginx", "image", false, false},
	}
	for _, tt := range tests {
		ctx := contextOf(tt.name)
		ctx.Strict = tt.implicit
		if _, got := Classify(tt.value, ctx, placeholder); got != tt.want {
			t.Errorf("Classify(%q, %q, %v) = %v, want %v", tt.value, tt.name, tt.implicit, got, tt.want)
		}
	}
}

func TestClassifyRepository(t *testing.T) {
	tests := []struct {
		value    string
		implicit bool
		want     bool
	}{
		{"mirror.gcr.io/aquasec/trivy-db", false, true},
		{"docker.io/istio", false, true},
		{"bitnami/redis", true, true},
		{"bitnami/redis", false, false},
		{"quay.io/x/y:1", false, false},
		{"https://charts.example.com", false, false},
		{"true", true, false},
	}
	for _, tt := range tests {
		if got := ClassifyRepository(tt.value, tt.implicit); got != tt.want {
			t.Errorf("ClassifyRepository(%q, %v) = %v, want %v", tt.value, tt.implicit, got, tt.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"nginx", "quay.io/x/y:1", "a/b", "1.2.3", "localhost:5000/x@sha256:00", "auto"} {
		f.Add(s, "image")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, value, name string) {
		ref, ok := Classify(value, contextOf(name), nil)
		if !ok {
			return
		}
		if ref.Written != value {
			t.Fatalf("Classify(%q) kept %q", value, ref.Written)
		}
		if _, err := reference.Parse(value); err != nil {
			t.Fatalf("Classify accepted %q, which does not parse: %v", value, err)
		}
		if !reference.HasExplicitDomain(value) && NameRole(name) != RoleImage {
			t.Fatalf("Classify took the implicit %q under %q", value, name)
		}
	})
}

func TestRolePrefix(t *testing.T) {
	for name, want := range map[string]string{
		"trivy.repository": "trivy.", "trivy.tag": "trivy.", "imageRegistry": "image", "imageTag": "image",
		"TRIVY_DB_REPOSITORY": "trivy_db_", "hub": "", "repoURL": "repourl",
	} {
		if got := RolePrefix(name); got != want {
			t.Errorf("RolePrefix(%q) = %q, want %q", name, got, want)
		}
	}
}

// contextOf is the context of a string found under name, as the rewrite
// package builds it.
func contextOf(name string) Context {
	return Context{Role: NameRole(name), Flag: TakesBareName(name)}
}
