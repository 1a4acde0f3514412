package leakscan

import (
	"reflect"
	"testing"
)

func TestWords(t *testing.T) {
	tests := map[string][]string{
		"AGENT_INJECT_VAULT_IMAGE": {"agent", "inject", "vault", "image"},
		"-consul-k8s-image":        {"consul", "k8s", "image"},
		"node.collector.imageRef":  {"node", "collector", "image", "ref"},
		"imageConsulDataplane":     {"image", "consul", "dataplane"},
		"imageK8S":                 {"image", "k8s"},
		"RELATED_IMAGE_operand":    {"related", "image", "operand"},
		"trivy.dbRepository":       {"trivy", "db", "repository"},
	}
	for in, want := range tests {
		if got := words(in); !reflect.DeepEqual(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestJudge is the detection policy as a table: accepted and rejected
// contexts, each as token, the name inside the value, the key or variable
// holding it, and the sibling keys.
func TestJudge(t *testing.T) {
	tests := []struct {
		token, local, outer string
		siblings            []string
		want                verdict
	}{
		// explicit registry and a tag or digest: anywhere
		{"quay.io/x/y:1", "", "description", nil, reference},
		{"registry.k8s.io/pause@sha256:0123456789abcdef0123456789abcdef", "", "", nil, reference},
		{"quay.io/strimzi/kafka:1.2.0-kafka-4.2.0", "4.2.0", "STRIMZI_KAFKA_IMAGES", nil, reference},
		{"quay.io/strimzi/maven-builder:1.2.0", "", "STRIMZI_DEFAULT_MAVEN_BUILDER", nil, reference},
		// image-named contexts: implicit Docker Hub too
		{"nginx", "", "image", []string{"name", "image"}, reference},
		{"proxyv2", "", "image", []string{"image", "autoInject"}, notImage}, // Istio: joined with hub and tag
		{"nginx", "--image", "args", nil, reference},
		{"hashicorp/vault:2.0.4", "", "AGENT_INJECT_VAULT_IMAGE", nil, reference},
		{"hashicorp/consul:2.0.3", "-consul-image", "command", nil, reference},
		{"vendor/engine:v1.6", "--engine-image", "args", nil, reference},
		{"vendor/x:1", "", "RELATED_IMAGE_X", nil, reference},
		{"hashicorp/consul-k8s-control-plane:2.0.3", "", "imageK8S", nil, reference},
		{"ghcr.io/cloudnative-pg/postgresql:16", "", "imageName", nil, reference},
		{"cr.example.io/vendor/controller", "", "controllerImage", nil, reference},
		{"vendor/csi-attacher:v4", "CSI_ATTACHER_IMAGE", "", nil, reference},
		{"strimzi/kafka:0.43.0", "3.8.0", "STRIMZI_KAFKA_IMAGES", nil, reference},
		// composites: the prefix
		{"mirror.gcr.io/aquasec/trivy", "", "trivy.repository", []string{"trivy.repository", "trivy.tag"}, composite},
		{"mirror.gcr.io/aquasec/trivy-db", "", "TRIVY_DB_REPOSITORY", nil, composite},
		{"bitnami/redis", "", "repository", []string{"repository", "tag"}, composite},
		{"docker.io/istio", "", "hub", []string{"hub", "tag"}, registryPrefix},
		{"quay.io", "", "registry", []string{"registry", "repository", "tag"}, registryPrefix},
		{"quay.io", "", "container-registry", nil, registryPrefix}, // alone: an operator joins every image it makes to it
		{"ghcr.io/y/db", "", "dbRepositories", nil, notImage},      // last word "repositories" is not a repository word
		// rejected
		{"auto", "", "image", nil, notImage},                                                     // placeholder
		{"IfNotPresent", "", "imagePullPolicy", nil, notImage},                                   // pull policy
		{"Always", "", "image", nil, notImage},                                                   // not a reference (upper case)
		{"1.2.3", "", "imageTag", nil, notImage},                                                 // version
		{"1.2.3", "", "version", nil, notImage},                                                  // version
		{"v1.21.1", "", "appVersion", nil, notImage},                                             // version
		{"nginx", "", "SIDECAR_IMAGE_NAME_PREFIX", nil, notImage},                                // bare word outside a plain image field
		{"https://registry.k8s.io/healthz", "", "WEBHOOK", nil, notImage},                        // URL
		{"redis.demo.svc.cluster.local:6379", "", "REDIS_ADDR", nil, notImage},                   // host:port
		{"example.com:5000", "", "", nil, notImage},                                              // host:port
		{"consul-helm-2.0.3", "", "helm.sh/chart", nil, notImage},                                // label value
		{"app.kubernetes.io/name", "", "", nil, notImage},                                        // label key, no tag
		{"bitnami/redis", "", "repository", []string{"repository", "version"}, notImage},         // chart-like, no tag
		{"bitnami/redis", "", "repository", []string{"registry", "repository", "tag"}, notImage}, // the registry is the prefix
		{"redis", "", "name", nil, notImage},
		{"the", "", "description", nil, notImage},         // prose
		{"quay.io", "", "defaultRegistry", nil, notImage}, // Kyverno's: it only normalises names
	}
	for _, tt := range tests {
		if got := judge(tt.token, tt.local, tt.outer, tt.siblings); got != tt.want {
			t.Errorf("judge(%q, local %q, outer %q, %q) = %v, want %v", tt.token, tt.local, tt.outer, tt.siblings, got, tt.want)
		}
	}
}

func TestJudgeEnvironmentVariables(t *testing.T) {
	for _, tc := range []struct {
		token, outer string
		want         verdict
	}{
		{"busybox", "SIDECAR_IMAGE", reference},
		{"busybox", "RELATED_IMAGE_TOOLS", reference},
		{"nginx", "sidecarImage", notImage},
	} {
		if got := judge(tc.token, "", tc.outer, nil); got != tc.want {
			t.Errorf("judge(%q under %q) = %v, want %v", tc.token, tc.outer, got, tc.want)
		}
	}
}
