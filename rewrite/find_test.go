package rewrite

import (
	"strings"
	"testing"
)

// TestFindsImages lists, for each place images live, every reference the
// engine must find (as "Kind ns/name: container NAME (field): IMAGE"), and
// requires the rewritten output to pass the check and be idempotent.
func TestFindsImages(t *testing.T) {
	workload := func(kind string) string {
		return `apiVersion: apps/v1
kind: ` + kind + `
metadata:
  name: w
  namespace: ns
spec:
  template:
    metadata:
      labels: {app: w}
    spec:
      initContainers:
        - name: init
          image: busybox:1.36
      containers:
        - name: app
          image: docker.io/bitnami/redis:7
`
	}
	workloadWant := func(kind string) []string {
		return []string{
			kind + " ns/w: container init (spec.template.spec.initContainers[0].image): busybox:1.36",
			kind + " ns/w: container app (spec.template.spec.containers[0].image): docker.io/bitnami/redis:7",
		}
	}
	tests := []struct {
		name, input string
		want        []string
	}{
		{"Pod with every container list", `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  initContainers:
    - name: init
      image: busybox
  containers:
    - name: app
      image: nginx:1.25
    - name: sidecar
      image: "quay.io/org/sidecar:2"
  ephemeralContainers:
    - name: debug
      image: 'ghcr.io/org/debug@sha256:0000000000000000000000000000000000000000000000000000000000000000'
`, []string{
			"Pod ns/p: container init (spec.initContainers[0].image): busybox",
			"Pod ns/p: container app (spec.containers[0].image): nginx:1.25",
			"Pod ns/p: container sidecar (spec.containers[1].image): quay.io/org/sidecar:2",
			"Pod ns/p: container debug (spec.ephemeralContainers[0].image): ghcr.io/org/debug@sha256:0000000000000000000000000000000000000000000000000000000000000000",
		}},
		{"PodTemplate", `apiVersion: v1
kind: PodTemplate
metadata: {name: t}
template:
  spec:
    containers:
      - name: app
        image: nginx
`, []string{"PodTemplate t: container app (template.spec.containers[0].image): nginx"}},
		{"Deployment", workload("Deployment"), workloadWant("Deployment")},
		{"StatefulSet", workload("StatefulSet"), workloadWant("StatefulSet")},
		{"DaemonSet", workload("DaemonSet"), workloadWant("DaemonSet")},
		{"ReplicaSet", workload("ReplicaSet"), workloadWant("ReplicaSet")},
		{"ReplicationController", workload("ReplicationController"), workloadWant("ReplicationController")},
		{"Job", workload("Job"), workloadWant("Job")},
		{"CronJob jobTemplate", `apiVersion: batch/v1
kind: CronJob
metadata: {name: backup, namespace: db}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: dump
              image: docker.io/bitnami/mongodb:8.0.13-debian-12-r0
          restartPolicy: OnFailure
`, []string{"CronJob db/backup: container dump (spec.jobTemplate.spec.template.spec.containers[0].image): docker.io/bitnami/mongodb:8.0.13-debian-12-r0"}},
		{"kind: List items", `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: a}
    spec:
      containers: [{name: c, image: nginx}]
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: cm}
    data: {image: nginx}
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: b, namespace: ns}
    spec:
      template:
        spec:
          containers: [{name: c, image: redis}]
`, []string{
			"Pod a: container c (items[0].spec.containers[0].image): nginx",
			"Deployment ns/b: container c (items[2].spec.template.spec.containers[0].image): redis",
		}},
		{"Argo Rollout", `apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  template:
    spec:
      containers:
        - name: app
          image: argoproj/rollouts-demo:blue
`, []string{"Rollout r: container app (spec.template.spec.containers[0].image): argoproj/rollouts-demo:blue"}},
		{"KEDA ScaledJob", `apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: sj}
spec:
  jobTargetRef:
    template:
      spec:
        containers:
          - name: worker
            image: ghcr.io/org/worker:1
`, []string{"ScaledJob sj: container worker (spec.jobTargetRef.template.spec.containers[0].image): ghcr.io/org/worker:1"}},
		{"OpenKruise CloneSet", `apiVersion: apps.kruise.io/v1alpha1
kind: CloneSet
metadata: {name: cs}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.k8s.io/pause:3.9
`, []string{"CloneSet cs: container app (spec.template.spec.containers[0].image): registry.k8s.io/pause:3.9"}},
		{"image volumes", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: app
      image: nginx
      volumeMounts: [{name: data, mountPath: /data}]
  volumes:
    - name: data
      image:
        reference: quay.io/org/data:1
        pullPolicy: IfNotPresent
    - name: scratch
      emptyDir: {}
`, []string{
			"Pod p: container app (spec.containers[0].image): nginx",
			"Pod p: container volume data (spec.volumes[0].image.reference): quay.io/org/data:1",
		}},
		{"args, command and env", `apiVersion: apps/v1
kind: Deployment
metadata: {name: cert-manager, namespace: cm}
spec:
  template:
    spec:
      containers:
        - name: controller
          image: "quay.io/jetstack/cert-manager-controller:v1.21.1"
          command: ["/manager", "--image=registry.k8s.io/pause:3.9"]
          args:
            - --v=2
            - --acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.21.1
            - --prometheus-config-reloader
            - quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1
            - ghcr.io/org/whole-value:1
            - --leader-elect=true
            - --cluster-resource-namespace=$(POD_NAMESPACE)
            - --webhook-url=https://quay.io/webhook
            - --image=nginx:1.25
          env:
            - name: SIDECAR_IMAGE
              value: "docker.io/library/busybox:1.36"
            - name: DESCRIPTION
              value: "image: quay.io/prose:1 is used"
            - name: ENDPOINT
              value: example.com/api
            - name: FROM_FIELD
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
`, []string{
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].image): quay.io/jetstack/cert-manager-controller:v1.21.1",
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].command[1]): registry.k8s.io/pause:3.9",
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].args[1]): quay.io/jetstack/cert-manager-acmesolver:v1.21.1",
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].args[3]): quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1",
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].args[4]): ghcr.io/org/whole-value:1",
			// An image-named flag takes an implicit Docker Hub name.
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].args[8]): nginx:1.25",
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].env[0].value): docker.io/library/busybox:1.36",
			// An explicit registry with a tag is a reference wherever it is, prose included.
			"Deployment cm/cert-manager: container controller (spec.template.spec.containers[0].env[1].value): quay.io/prose:1",
		}},
		{"prometheus-operator custom resources", `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: kps, namespace: mon}
spec:
  image: "quay.io/prometheus/prometheus:v3.14.0-distroless"
  version: v3.14.0-distroless
  thanos:
    image: quay.io/thanos/thanos:v0.42.4
---
apiVersion: monitoring.coreos.com/v1
kind: Alertmanager
metadata: {name: kps, namespace: mon}
spec:
  image: quay.io/prometheus/alertmanager:v0.34.0
---
apiVersion: example.com/v1
kind: Prometheus
metadata: {name: not-the-operator}
spec:
  image: quay.io/prometheus/prometheus:v1
`, []string{
			"Prometheus mon/kps: (spec.image): quay.io/prometheus/prometheus:v3.14.0-distroless",
			"Prometheus mon/kps: (spec.thanos.image): quay.io/thanos/thanos:v0.42.4",
			"Alertmanager mon/kps: (spec.image): quay.io/prometheus/alertmanager:v0.34.0",
			// An image-named key is found whatever the resource.
			"Prometheus not-the-operator: (spec.image): quay.io/prometheus/prometheus:v1",
		}},
		{"helm hooks are ordinary documents", `apiVersion: batch/v1
kind: Job
metadata:
  name: schema
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-5"
spec:
  template:
    spec:
      containers:
        - name: done
          image: "temporalio/admin-tools:1.31.2"
      restartPolicy: Never
`, []string{"Job schema: container done (spec.template.spec.containers[0].image): temporalio/admin-tools:1.31.2"}},
		{"anchors and merge keys", `apiVersion: apps/v1
kind: Deployment
metadata: {name: m}
spec:
  template:
    spec:
      initContainers:
        - &base
          name: init
          image: bitnami/os-shell:12
      containers:
        - <<: *base
          name: main
`, []string{
			"Deployment m: container main (spec.template.spec.containers[0].image): bitnami/os-shell:12",
			"Deployment m: container init (spec.template.spec.initContainers[0].image): bitnami/os-shell:12",
		}},
		{"null image is no reference", `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: p}
spec:
  containers:
    - name: prometheus
      image: null
    - name: config-reloader
      image:
      resources: {}
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := occurrences(t, testConfig, tt.input)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			out, report := rewriteOK(t, testConfig, tt.input)
			if report.References != len(tt.want) {
				t.Errorf("report.References = %d, want %d", report.References, len(tt.want))
			}
			if len(tt.want) > 0 && !strings.Contains(out, mirror+"/") {
				t.Errorf("nothing went to the mirror:\n%s", out)
			}
		})
	}
}

// TestArgsRewritten pins the exact rewritten bytes of every argument form.
func TestArgsRewritten(t *testing.T) {
	input := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers:
    - name: c
      image: registry.internal.example.com/app:1
      command: ["/manager", "--image=registry.k8s.io/pause:3.9"]
      args:
        - --acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.21.1
        - --prometheus-config-reloader
        - "quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1"
        - 'ghcr.io/org/whole:1'
        - --image=nginx:1.25
      env:
        - name: IMAGE
          value: docker.io/library/busybox:1.36
`
	want := `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: my-registry-secret}]
  containers:
    - name: c
      image: registry.internal.example.com/app:1
      command: ["/manager", "--image=registry.internal.example.com/mirror/pause:3.9"]
      args:
        - --acme-http01-solver-image=registry.internal.example.com/mirror/jetstack/cert-manager-acmesolver:v1.21.1
        - --prometheus-config-reloader
        - "registry.internal.example.com/mirror/prometheus-operator/prometheus-config-reloader:v0.93.1"
        - 'registry.internal.example.com/mirror/org/whole:1'
        - --image=registry.internal.example.com/mirror/library/nginx:1.25
      env:
        - name: IMAGE
          value: registry.internal.example.com/mirror/library/busybox:1.36
`
	out, report := rewriteOK(t, testConfig, input)
	if out != want {
		t.Fatalf("got:\n%s\nwant:\n%s", out, want)
	}
	if report.ReEncoded != 0 {
		t.Errorf("%d document(s) re-encoded; every edit here splices", report.ReEncoded)
	}
}

// TestNotImages covers text that mentions images but is not one: it must
// come out byte for byte, with no reference found.
func TestNotImages(t *testing.T) {
	tests := []struct{ name, input string }{
		{"ConfigMap prose without references", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  line: "set image: to override, see docs.example.com/images for more"
  script: |
    #!/bin/sh
    echo "pulling the image now"
    exec /bin/app --listen=:8080 --upstream=http://backend:9000/api
  json: '{"imagePullPolicy": "Always", "version": "1.2.3", "tag": "v1"}'
  auto: |
    image: auto
`},
		{"CRD schema with containers as a mapping", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  group: example.com
  versions:
    - name: v1
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              properties:
                containers:
                  type: array
                  items:
                    type: object
                    properties:
                      image: {type: string, description: "image: the container image"}
                initContainers:
                  description: containers run first
                  type: array
`},
		{"env prose and URLs", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - name: my-registry-secret
  containers:
    - name: c
      args: ["--url=https://quay.io/x", "--kubeconfig", "/etc/kube/config", "--metrics=:8080", "-c", "echo image: none"]
      env:
        - {name: TEXT, value: "pull the app first"}
        - {name: HOST, value: "example.com/path"}
        - {name: ZONE, value: "topology.kubernetes.io/zone:eu-west-1a"}
        - {name: IMAGE_PULL_POLICY, value: "IfNotPresent"}
        - {name: IMAGE_TAG, value: "1.2.3"}
        - {name: NUM, value: "3"}
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := occurrences(t, testConfig, tt.input); len(got) != 0 {
				t.Fatalf("found references in text that holds none:\n  %s", strings.Join(got, "\n  "))
			}
			out, _ := rewriteOK(t, testConfig, tt.input)
			if out != tt.input {
				t.Fatalf("output changed:\n%s", out)
			}
		})
	}
}

// TestConfiguredImageFields: a configured field is an image whatever its
// name and even without a registry; fields not configured for a resource
// are left to the context rules, which take no implicit name under a key
// that does not say image.
func TestConfiguredImageFields(t *testing.T) {
	config := testConfig + `
imageFields:
  - apiVersion: example.com
    kind: Widget
    path: spec.runtime
  - apiVersion: example.com/v1
    kind: Widget
    path: spec.sidecars[].runs
  - kind: Gadget
    path: spec.engine.ref
`
	input := `apiVersion: example.com/v2
kind: Widget
metadata: {name: w}
spec:
  runtime: "org/widget:1"
  sidecars:
    - runs: org/ignored-for-v2:1
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: ns}
spec:
  runtime: org/widget:1
  sidecars:
    - name: a
      runs: org/a:1
    - name: b
      runs: 'org/b:1'
    - name: no-image
---
apiVersion: other.example/v1
kind: Gadget
metadata: {name: g}
spec:
  engine:
    ref: nginx
  ref: nginx
`
	want := []string{
		"Widget w: (spec.runtime): org/widget:1",
		"Widget ns/w1: (spec.runtime): org/widget:1",
		"Widget ns/w1: (spec.sidecars[0].runs): org/a:1",
		"Widget ns/w1: (spec.sidecars[1].runs): org/b:1",
		"Gadget g: (spec.engine.ref): nginx",
	}
	got := occurrences(t, config, input)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	out, _ := rewriteOK(t, config, input)
	if !strings.Contains(out, "    - runs: org/ignored-for-v2:1\n") || !strings.Contains(out, "  ref: nginx\n") {
		t.Fatalf("fields not configured for the resource were changed:\n%s", out)
	}
	if !strings.Contains(out, "      runs: 'registry.internal.example.com/mirror/org/b:1'\n") {
		t.Fatalf("configured sequence field not rewritten in its quoting style:\n%s", out)
	}
	_, _, err := runOpts(t, engineOptions(t, config), "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: x}\nspec:\n  runtime: [a]\n")
	inputError(t, err, "Widget x", "spec.runtime", "must be a string")
}

func TestOccurrenceDetails(t *testing.T) {
	input := `# Source: chart/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata: {name: first}
---
# Source: chart/templates/b.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      containers:
        - name: app
          image: europe-west3-docker.pkg.dev/plexicus-registry/platform/fastapi:1.2
`
	opts := engineOptions(t, testConfig)
	var got []Occurrence
	opts.Observe(Observer{Image: func(o Occurrence) { got = append(got, o) }})
	if _, _, err := runOpts(t, opts, input); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("occurrences = %+v", got)
	}
	o := got[0]
	if o.Document != 2 || o.Line != 17 || o.APIVersion != "apps/v1" || o.Kind != "Deployment" || o.Namespace != "prod" ||
		o.Name != "web" || o.Container != "app" || o.Field != "spec.template.spec.containers[0].image" {
		t.Fatalf("occurrence = %+v", o)
	}
	if o.Resource() != "Deployment prod/web" || o.Image() != "registry.internal.example.com/plexicus/fastapi:1.2" ||
		o.Mapping.Rule != "europe-west3-docker.pkg.dev/plexicus-registry/platform" {
		t.Fatalf("resource %q image %q rule %q", o.Resource(), o.Image(), o.Mapping.Rule)
	}
}

// TestFindsImagesEverywhere lists references that live outside pod specs:
// image-named keys of any resource, embedded YAML and JSON text (block,
// folded and quoted), Secret stringData, prose with an explicit registry.
func TestFindsImagesEverywhere(t *testing.T) {
	tests := []struct {
		name, input string
		want        []string
	}{
		{"ConfigMap prose and embedded manifests", `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data:
  image: nginx
  line: "image: nginx:1.25"
  pod.yaml: |
    apiVersion: v1
    kind: Pod
    spec:
      containers:
        - name: app
          image: quay.io/embedded/app:1
  folded: >
    containers:
      - image: nginx
  json: '{"spec":{"containers":[{"image":"nginx"}]}}'
`, []string{
			"ConfigMap cm: (data.line): nginx:1.25",
			"ConfigMap cm: container app (data.pod.yaml > spec.containers[0].image): quay.io/embedded/app:1",
			"ConfigMap cm: (data.folded > containers[0].image): nginx",
			"ConfigMap cm: (data.json > spec.containers[0].image): nginx",
		}},
		{"bare names under environment variables and in env files", `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: quay.io/org/a:1
      env:
        - {name: SIDECAR_IMAGE, value: busybox}
        - {name: sidecarImage, value: proxyv2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: env}
data:
  app.env: |
    TOOLS_IMAGE=alpine
    GREETING=hello
`, []string{
			"Pod p: container a (spec.containers[0].image): quay.io/org/a:1",
			"Pod p: container a (spec.containers[0].env[0].value): busybox",
			"ConfigMap env: (data.app.env): alpine",
		}},
		{"Secret data holding a YAML document, base64", `apiVersion: v1
kind: Secret
metadata: {name: s}
data:
  pod.yaml: Y29udGFpbmVyczoKLSBuYW1lOiBhCiAgaW1hZ2U6IHF1YXkuaW8veC95OjEK
  img: cXVheS5pby9hL2I6Mg==
`, []string{
			"Secret s: container a (data.pod.yaml > containers[0].image): quay.io/x/y:1",
			"Secret s: (data.img): quay.io/a/b:2",
		}},
		{"Argo CD Application parameters and embedded text with repeated keys", `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: app}
spec:
  source:
    helm:
      parameters:
        - {name: image.repository, value: myorg/app}
        - {name: image.tag, value: "1.2"}
      values: |
        image: quay.io/org/a:1
        image: quay.io/org/b:1
`, []string{
			"Application app: (spec.source.helm.parameters[0].value): myorg/app (repository, joined with image names at run time)",
			"Application app: (spec.source.helm.values > image): quay.io/org/a:1",
			"Application app: (spec.source.helm.values > image): quay.io/org/b:1",
		}},
		{"Secret stringData", `apiVersion: v1
kind: Secret
metadata: {name: s}
stringData:
  values.yaml: |
    image: quay.io/org/app:1
`, []string{"Secret s: (stringData.values.yaml > image): quay.io/org/app:1"}},
		{"image keys outside pod specs", `apiVersion: example.com/v1
kind: Thing
metadata:
  name: t
  annotations:
    image: quay.io/annotated:1
spec:
  image: quay.io/not/configured:1
  template:
    image: nginx
`, []string{
			"Thing t: (metadata.annotations.image): quay.io/annotated:1",
			"Thing t: (spec.image): quay.io/not/configured:1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := occurrences(t, testConfig, tt.input)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			out, _ := rewriteOK(t, testConfig, tt.input)
			if again, _ := rewriteOK(t, testConfig, out); again != out {
				t.Errorf("not idempotent:\n%s\nthen\n%s", out, again)
			}
			if got := occurrences(t, testConfig, out); len(got) != len(tt.want) {
				t.Errorf("rewritten output has %d references, want %d", len(got), len(tt.want))
			}
		})
	}
}
