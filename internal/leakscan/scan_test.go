package leakscan

import (
	"encoding/base64"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// describe lists findings as "path (inner) = value", composites marked.
func describe(findings []Finding) []string {
	var out []string
	for _, f := range findings {
		s := f.Path
		if f.Inner != "" {
			s += " (" + f.Inner + ")"
		}
		s += " = " + f.Value
		switch {
		case f.Registry:
			s += " [registry]"
		case f.Composite:
			s += " [composite]"
		}
		if f.Key {
			s += " [key]"
		}
		out = append(out, s)
	}
	return out
}

func TestLeaks(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{
			name: "a: pod-spec images, placeholder and pull policy",
			input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox
      containers:
        - name: web
          image: "docker.io/library/nginx:1.27"
          imagePullPolicy: IfNotPresent
        - name: istio-proxy
          image: auto
      volumes:
        - name: data
          image: {reference: "quay.io/x/data:1", pullPolicy: IfNotPresent}
`,
			want: []string{
				"spec.template.spec.initContainers[0].image = busybox",
				"spec.template.spec.containers[0].image = docker.io/library/nginx:1.27",
				"spec.template.spec.volumes[0].image.reference = quay.io/x/data:1",
			},
		},
		{
			name: "b: custom-resource image fields",
			input: `
apiVersion: postgresql.cnpg.io/v1
kind: ImageCatalog
metadata: {name: catalog}
spec:
  images:
    - major: 16
      image: timescale/timescaledb-ha:pg16-ts2.15
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg}
spec:
  imageName: ghcr.io/cloudnative-pg/postgresql:16
  imageCatalogRef: {kind: ImageCatalog, name: catalog, major: 16}
`,
			want: []string{
				"spec.images[0].image = timescale/timescaledb-ha:pg16-ts2.15",
				"spec.imageName = ghcr.io/cloudnative-pg/postgresql:16",
			},
		},
		{
			name: "c and d: args, command and env, with and without a registry",
			input: `
kind: Deployment
metadata: {name: operator}
spec:
  template:
    spec:
      containers:
        - name: op
          image: registry.internal.example.com/mirror/op:1
          command: [/manager, --instance-manager-image, vendor/im:v1.6, --log-level, debug]
          args:
            - --engine-image=vendor/engine:v1.6
            - --prometheus-config-reloader=quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1
            - --web.listen-address=:8080
            - --kubelet-service=kube-system/kubelet
          env:
            - {name: CSI_ATTACHER_IMAGE, value: "vendor/csi-attacher:v4"}
            - {name: RELATED_IMAGE_DB, value: "vendor/db:2"}
            - {name: OPERATOR_IMAGE_NAME, value: ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0}
            - {name: MAVEN_BUILDER, value: quay.io/strimzi/maven-builder:1.2.0}
            - {name: VERSION, value: "1.2.3"}
            - {name: WEBHOOK, value: "https://registry.k8s.io/healthz"}
            - {name: REDIS, value: "redis.demo.svc.cluster.local:6379"}
`,
			want: []string{
				"spec.template.spec.containers[0].command[2] = vendor/im:v1.6",
				"spec.template.spec.containers[0].args[0] (line 1 --engine-image) = vendor/engine:v1.6",
				"spec.template.spec.containers[0].args[1] (line 1 --prometheus-config-reloader) = quay.io/prometheus-operator/prometheus-config-reloader:v0.93.1",
				"spec.template.spec.containers[0].env[0].value = vendor/csi-attacher:v4",
				"spec.template.spec.containers[0].env[1].value = vendor/db:2",
				"spec.template.spec.containers[0].env[2].value = ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0",
				"spec.template.spec.containers[0].env[3].value = quay.io/strimzi/maven-builder:1.2.0",
			},
		},
		{
			name: "e: ConfigMap data, Secret data, annotations",
			input: `
kind: ConfigMap
metadata:
  name: cfg
  annotations:
    example.com/helper: "quay.io/vendor/helper:2"
    helm.sh/chart: consul-helm-2.0.3
data:
  plugin: quay.io/vendor/csi-plugin:v3.17.0
  image: vendor/tool:v1.18
  policies.bundle.oci.ref: mirror.gcr.io/aquasec/trivy-checks:1
  endpoint: https://quay.io/v2/
  note: "see the docs at https://example.com/x:1 and pin 1.2.3"
---
kind: Secret
metadata: {name: sec}
data:
  app.properties: ` + b64("name=x\nimage=quay.io/x/y:1\nreplicas=2\n") + `
  tls.crt: ` + b64("\x00\xff binary") + `
stringData:
  agent: vendor/agent:1
  agentImage: vendor/agent:1
`,
			want: []string{
				"metadata.annotations['example.com/helper'] = quay.io/vendor/helper:2",
				"data.plugin = quay.io/vendor/csi-plugin:v3.17.0",
				"data.image = vendor/tool:v1.18",
				"data['policies.bundle.oci.ref'] = mirror.gcr.io/aquasec/trivy-checks:1",
				"data['app.properties'] ((base64) line 2 image) = quay.io/x/y:1",
				"stringData.agentImage = vendor/agent:1",
			},
		},
		{
			name: "e: embedded YAML and JSON",
			input: `
kind: ConfigMap
metadata: {name: jenkins-casc}
data:
  agents.yaml: |
    jenkins:
      clouds:
        - kubernetes:
            templates:
              - name: default
                yaml: |-
                  spec:
                    containers:
                      - name: jnlp
                        image: vendor/inbound-agent:3385
                containers:
                  - name: maven
                    image: "maven:3.9"
  values.json: |
    {"global": {"image": "hashicorp/consul:2.0.3", "imageK8S": "hashicorp/consul-k8s-control-plane:2.0.3",
      "imagePullPolicy": "IfNotPresent"}, "sidecar": {"hub": "docker.io/istio", "tag": "1.27"}}
`,
			want: []string{
				"data['agents.yaml'] (jenkins.clouds[0].kubernetes.templates[0].yaml.spec.containers[0].image) = vendor/inbound-agent:3385",
				"data['agents.yaml'] (jenkins.clouds[0].kubernetes.templates[0].containers[0].image) = maven:3.9",
				"data['values.json'] (global.image) = hashicorp/consul:2.0.3",
				"data['values.json'] (global.imageK8S) = hashicorp/consul-k8s-control-plane:2.0.3",
				"data['values.json'] (sidecar.hub) = docker.io/istio [registry]",
			},
		},
		{
			name: "d: flags in a multi-line shell script",
			input: `
kind: Deployment
metadata: {name: injector}
spec:
  template:
    spec:
      containers:
        - name: injector
          image: registry.internal.example.com/mirror/hashicorp/consul-k8s-control-plane:2.0.3
          command:
            - "/bin/sh"
            - "-ec"
            - |
              exec consul-k8s-control-plane inject-connect \
                -config-file=/consul/config/config.json \
                -consul-image="hashicorp/consul:2.0.3" \
                -consul-dataplane-image='hashicorp/consul-dataplane:2.0.3' \
                -log-level=info
`,
			want: []string{
				"spec.template.spec.containers[0].command[2] (line 3 -consul-image) = hashicorp/consul:2.0.3",
				"spec.template.spec.containers[0].command[2] (line 4 -consul-dataplane-image) = hashicorp/consul-dataplane:2.0.3",
			},
		},
		{
			name: "f: composites, flat and nested",
			input: `
kind: ConfigMap
metadata: {name: trivy}
data:
  trivy.repository: "mirror.gcr.io/aquasec/trivy"
  trivy.tag: "0.72.0"
  trivy.dbRepository: "mirror.gcr.io/aquasec/trivy-db"
  TRIVY_JAVA_DB_REPOSITORY: "mirror.gcr.io/aquasec/trivy-java-db"
  trivy.dbRepositoryInsecure: "false"
---
kind: Istio
metadata: {name: mesh}
spec:
  hub: docker.io/istio
  tag: 1.27.0
  values:
    image: {registry: quay.io, repository: vendor/app, tag: "2"}
    chart: {repository: bitnami/redis, version: 1.0.0}
`,
			want: []string{
				"data['trivy.repository'] = mirror.gcr.io/aquasec/trivy [composite]",
				"data['trivy.dbRepository'] = mirror.gcr.io/aquasec/trivy-db [composite]",
				"data.TRIVY_JAVA_DB_REPOSITORY = mirror.gcr.io/aquasec/trivy-java-db [composite]",
				"spec.hub = docker.io/istio [registry]",
				"spec.values.image.registry = quay.io [registry]",
			},
		},
		{
			name: "g: several references in one value",
			input: `
kind: Deployment
metadata: {name: strimzi}
spec:
  template:
    spec:
      containers:
        - name: op
          image: registry.internal.example.com/mirror/strimzi/operator:1.2.0
          env:
            - name: STRIMZI_KAFKA_IMAGES
              value: |
                3.8.0=quay.io/strimzi/kafka:0.43.0-kafka-3.8.0
                3.9.0=strimzi/kafka:0.43.0-kafka-3.9.0
            - name: TRIVY_DB_REPOSITORY
              value: mirror.gcr.io/x/db,ghcr.io/y/db
`,
			want: []string{
				"spec.template.spec.containers[0].env[0].value (line 1 3.8.0) = quay.io/strimzi/kafka:0.43.0-kafka-3.8.0",
				"spec.template.spec.containers[0].env[0].value (line 2 3.9.0) = strimzi/kafka:0.43.0-kafka-3.9.0",
				"spec.template.spec.containers[0].env[1].value (line 1) = mirror.gcr.io/x/db [composite]",
				"spec.template.spec.containers[0].env[1].value (line 1) = ghcr.io/y/db [composite]",
			},
		},
		{
			name: "keys of a map, anchors, merge keys and identical duplicate keys",
			input: `
kind: ConfigMap
metadata:
  name: helpers
  labels: {app: x, app: x}
data:
  table.yaml: |
    quay.io/vendor/helper:1: helper
    ghcr.io/vendor/other:2: other
  one: "quay.io/vendor/one:1: helper"
  list: "quay.io/vendor/two:2=helper"
base: &base
  image: vendor/base:1
derived:
  <<: *base
  again: *base
`,
			want: []string{
				"data['table.yaml'] (['quay.io/vendor/helper:1']) = quay.io/vendor/helper:1 [key]",
				"data['table.yaml'] (['ghcr.io/vendor/other:2']) = ghcr.io/vendor/other:2 [key]",
				"data.one (line 1) = quay.io/vendor/one:1",
				"data.list (line 1) = quay.io/vendor/two:2",
				"base.image = vendor/base:1",
				"derived.image = vendor/base:1",
				"derived.again.image = vendor/base:1",
			},
		},
		{
			name: "a CRD's schema defaults, which the API server writes into resources",
			input: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  versions:
    - schema:
        openAPIV3Schema:
          properties:
            image: {type: string, default: "quay.io/x/default:1", description: "Image, e.g. quay.io/x/y:1"}
            workers:
              items:
                properties:
                  sidecar: {default: {repository: quay.io/x/sidecar, tag: "2"}}
`,
			want: []string{
				"spec.versions[0].schema.openAPIV3Schema.properties.image.default = quay.io/x/default:1",
				"spec.versions[0].schema.openAPIV3Schema.properties.workers.items.properties.sidecar.default.repository = quay.io/x/sidecar [composite]",
			},
		},
		{
			name: "negatives: CRD schemas, prose, URLs, versions, label values",
			input: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  versions:
    - schema:
        openAPIV3Schema:
          properties:
            image: {type: string, description: "Image, e.g. quay.io/x/y:1", example: "quay.io/x/y:1"}
---
kind: ConfigMap
metadata:
  name: prose
  labels:
    app.kubernetes.io/version: "1.2.0"
    helm.sh/chart: vault-0.34.1
data:
  readme: |
    Set image: to override the default; see https://quay.io/repository/x
    Run the image: nginx:1.27 locally first.
    Listen on example.com:5000, version 1.2.3, at 10.0.0.1:8080/metrics.
  url: https://registry.k8s.io/healthz
  address: "redis-master.demo.svc.cluster.local:6379"
  version: v1.21.1
  imageTag: "1.2.3"
  imagePullPolicy: Always
  path: /consul/tmp/extra-config/extra-from-values.json
  sed: sed -Ei "s|HOST_IP|${HOST_IP?}|g" /consul/extra-config/extra-from-values.json
`,
			want: nil,
		},
		{
			name: "internal references are not leaks",
			input: `
kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: registry.internal.example.com/mirror/library/nginx:1.27
      args: ["--sidecar-image=registry.internal.example.com/mirror/vendor/x:1"]
`,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found, err := Leaks([]byte(tt.input), "registry.internal.example.com/mirror")
			if err != nil {
				t.Fatal(err)
			}
			// Order is not asserted: a document with merge keys is read as
			// Kubernetes reads it, through JSON, whose keys are sorted.
			got := describe(found)
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Errorf("found:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestFindReportsInternalToo(t *testing.T) {
	input := `
kind: Pod
metadata: {name: p, namespace: demo}
spec:
  containers:
    - {name: a, image: registry.internal.example.com/mirror/library/nginx:1.27}
    - {name: b, image: nginx:1.27}
`
	found, err := Find([]byte(input), "registry.internal.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 2 || found[0].Public || !found[1].Public {
		t.Fatalf("Find = %v, want the internal reference (not public) and the public one", found)
	}
	if got, want := found[1].String(), `document 1 (line 7) Pod demo/p spec.containers[1].image: reference "nginx:1.27"`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestFindRejectsBrokenYAML(t *testing.T) {
	if _, err := Find([]byte("a: [b\n")); err == nil {
		t.Fatal("Find accepted a stream that does not parse")
	}
}

func TestDocumentsSkipsEmpty(t *testing.T) {
	docs, err := Documents([]byte("---\n# only a comment\n---\nkind: A\n---\n---\nkind: B\n"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, d := range docs {
		kind, _, _ := Identity(d)
		kinds = append(kinds, kind)
	}
	if !reflect.DeepEqual(kinds, []string{"A", "B"}) {
		t.Fatalf("documents %q, want [A B]", kinds)
	}
}

// FuzzFind: the scanner never panics, and every finding is a reference or
// a registry host that occurs in the input (or in decoded Secret data).
func FuzzFind(f *testing.F) {
	f.Add("kind: Pod\nspec:\n  containers:\n    - image: nginx:1\n")
	f.Add("kind: ConfigMap\ndata:\n  x: |\n    {\"image\": \"a/b:1\"}\n")
	f.Add("kind: Secret\ndata:\n  x: aW1hZ2U9cXVheS5pby94L3k6MQ==\n")
	f.Add("a: &a [*a]\n")
	f.Add("env:\n- name: X_IMAGES\n  value: 1=quay.io/a/b:1,ghcr.io/c/d:2\n")
	f.Fuzz(func(t *testing.T, input string) {
		found, err := Find([]byte(input))
		if err != nil {
			return
		}
		for _, x := range found {
			if _, ok := parseRef(x.Value); !ok && !isDomain(x.Value) {
				t.Fatalf("finding %v is neither a reference nor a registry", x)
			}
		}
	})
}
