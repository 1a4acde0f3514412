package rewrite

import (
	"strings"
	"testing"
)

// TestPullSecrets pins the exact bytes of every merge: added when absent,
// appended when present, never duplicated, order kept, in the document's own
// style (indented or flush sequences, flow, JSON), always spliced.
func TestPullSecrets(t *testing.T) {
	const two = "mirror: registry.internal.example.com/mirror\npullSecrets: [regcred, second]\n"
	const one = "mirror: registry.internal.example.com/mirror\npullSecrets: [regcred]\n"
	tests := []struct {
		name, config, input, want string
	}{
		{"added to an indented pod spec", two, `kind: Pod
metadata: {name: p}
spec:
  containers:
    - name: a
      image: registry.internal.example.com/a:1
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - name: regcred
    - name: second
  containers:
    - name: a
      image: registry.internal.example.com/a:1
`},
		{"added to a flush pod spec", one, `kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      # the containers
      containers:
      - name: a
        image: registry.internal.example.com/a:1
`, `kind: Deployment
metadata: {name: d}
spec:
  template:
    spec:
      imagePullSecrets:
      - name: regcred
      # the containers
      containers:
      - name: a
        image: registry.internal.example.com/a:1
`},
		{"appended to an existing list", two, `kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: registry.internal.example.com/a:1
  imagePullSecrets:
  - name: existing
  restartPolicy: Never
`, `kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: registry.internal.example.com/a:1
  imagePullSecrets:
  - name: existing
  - name: regcred
  - name: second
  restartPolicy: Never
`},
		{"no duplicates, order stable", two, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - name: second
    - name: "existing"
  containers:
    - name: a
      image: registry.internal.example.com/a:1
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - name: second
    - name: "existing"
    - name: regcred
  containers:
    - name: a
      image: registry.internal.example.com/a:1
`},
		{"all present: untouched", two, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: regcred}, {name: second}]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: regcred}, {name: second}]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`},
		{"appended to a flow list", two, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: existing}]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{name: existing}, {"name": "regcred"}, {"name": "second"}]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`},
		{"block list of flow items", two, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - {name: existing}
    - &x {"name": "second"} # anchored, with a comment
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - {name: existing}
    - &x {"name": "second"} # anchored, with a comment
    - name: regcred
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`},
		{"empty flow list", one, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: []
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{"name": "regcred"}]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`},
		{"multi-line flow list", one, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [
    {name: "a]b"},
    {name: 'c'}
  ]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [
    {name: "a]b"},
    {name: 'c'}, {"name": "regcred"}
  ]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`},
		{"null list", one, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: null
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets: [{"name": "regcred"}]
  containers: [{name: a, image: registry.internal.example.com/a:1}]
`},
		{"JSON document without secrets", one,
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a","image":"nginx"}]}}` + "\n",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"imagePullSecrets": [{"name": "regcred"}], "containers":[{"name":"a","image":"registry.internal.example.com/mirror/library/nginx"}]}}` + "\n"},
		{"JSON document with secrets", one,
			`{"kind":"Pod","metadata":{"name":"p"},"spec":{"imagePullSecrets":[{"name":"x"}],"containers":[{"name":"a","image":"nginx"}]}}` + "\n",
			`{"kind":"Pod","metadata":{"name":"p"},"spec":{"imagePullSecrets":[{"name":"x"}, {"name": "regcred"}],"containers":[{"name":"a","image":"registry.internal.example.com/mirror/library/nginx"}]}}` + "\n"},
		{"pretty JSON", one, `{
  "kind": "Pod",
  "metadata": {"name": "p"},
  "spec": {
    "imagePullSecrets": [
      {"name": "x"}
    ],
    "containers": [{"name": "a", "image": "registry.internal.example.com/a:1"}]
  }
}
`, `{
  "kind": "Pod",
  "metadata": {"name": "p"},
  "spec": {
    "imagePullSecrets": [
      {"name": "x"}, {"name": "regcred"}
    ],
    "containers": [{"name": "a", "image": "registry.internal.example.com/a:1"}]
  }
}
`},
		{"numeric-looking secret name", "pullSecrets: [\"123\"]\nallow: [registry.internal.example.com]\n", `kind: Pod
metadata: {name: p}
spec:
  containers:
    - image: registry.internal.example.com/a:1
`, `kind: Pod
metadata: {name: p}
spec:
  imagePullSecrets:
    - name: "123"
  containers:
    - image: registry.internal.example.com/a:1
`},
		{"CRLF", one, "kind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  containers:\r\n    - image: registry.internal.example.com/a:1\r\n",
			"kind: Pod\r\nmetadata: {name: p}\r\nspec:\r\n  imagePullSecrets:\r\n    - name: regcred\r\n  containers:\r\n    - image: registry.internal.example.com/a:1\r\n"},
		{"no trailing newline", one, "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - image: registry.internal.example.com/a:1\n  imagePullSecrets:\n    - name: x",
			"kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - image: registry.internal.example.com/a:1\n  imagePullSecrets:\n    - name: x\n    - name: regcred\n"},
		{"a spec shared through an alias gets them once", one, `kind: List
items:
  - kind: Deployment
    metadata: {name: a}
    spec:
      template:
        spec: &pod
          containers:
            - image: registry.internal.example.com/a:1
  - kind: Deployment
    metadata: {name: b}
    spec:
      template:
        spec: *pod
`, `kind: List
items:
  - kind: Deployment
    metadata: {name: a}
    spec:
      template:
        spec: &pod
          imagePullSecrets:
            - name: regcred
          containers:
            - image: registry.internal.example.com/a:1
  - kind: Deployment
    metadata: {name: b}
    spec:
      template:
        spec: *pod
`},
		{"a list shared through an alias gets them once", one, `kind: List
items:
  - kind: Pod
    metadata: {name: a}
    spec:
      imagePullSecrets: &ps
        - name: existing
      containers: [{image: registry.internal.example.com/a:1}]
  - kind: Pod
    metadata: {name: b}
    spec:
      imagePullSecrets: *ps
      containers: [{image: registry.internal.example.com/a:1}]
`, `kind: List
items:
  - kind: Pod
    metadata: {name: a}
    spec:
      imagePullSecrets: &ps
        - name: existing
        - name: regcred
      containers: [{image: registry.internal.example.com/a:1}]
  - kind: Pod
    metadata: {name: b}
    spec:
      imagePullSecrets: *ps
      containers: [{image: registry.internal.example.com/a:1}]
`},
		{"anchored flow pod spec", one, `kind: Pod
metadata: {name: p}
spec: &spec {containers: [{image: registry.internal.example.com/a:1}]}
`, `kind: Pod
metadata: {name: p}
spec: &spec {"imagePullSecrets": [{"name": "regcred"}], containers: [{image: registry.internal.example.com/a:1}]}
`},
		{"every pod template in the stream", one, `kind: CronJob
metadata: {name: c}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - image: registry.internal.example.com/a:1
---
kind: Pod
metadata: {name: p}
spec:
    containers:
        -   image: registry.internal.example.com/a:1
`, `kind: CronJob
metadata: {name: c}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          imagePullSecrets:
            - name: regcred
          containers:
            - image: registry.internal.example.com/a:1
---
kind: Pod
metadata: {name: p}
spec:
    imagePullSecrets:
        - name: regcred
    containers:
        -   image: registry.internal.example.com/a:1
`},
		{"pod-shaped mappings that are not pod templates get none", one, `apiVersion: example.com/v1
kind: Sidecars
metadata: {name: p}
spec:
  containers:
    - name: prometheus
      resources: {}
`, `apiVersion: example.com/v1
kind: Sidecars
metadata: {name: p}
spec:
  containers:
    - name: prometheus
      resources: {}
`},
		{"catalogued custom resources that create pods get them in their spec", one, `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: p}
spec:
  image: quay.io/prometheus/prometheus:v3
  containers:
    - name: prometheus
      resources: {}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg}
spec:
  imagePullSecrets:
    - name: other
  instances: 3
`, `apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: p}
spec:
  imagePullSecrets:
    - name: regcred
  image: registry.internal.example.com/mirror/prometheus/prometheus:v3
  containers:
    - name: prometheus
      resources: {}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg}
spec:
  imagePullSecrets:
    - name: other
    - name: regcred
  instances: 3
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, report := rewriteOK(t, tt.config, tt.input)
			if out != tt.want {
				t.Fatalf("got:\n%s\nwant:\n%s", out, tt.want)
			}
			if report.ReEncoded != 0 {
				t.Errorf("%d document(s) re-encoded; the merge must splice", report.ReEncoded)
			}
		})
	}
}

func TestPullSecretsNotAList(t *testing.T) {
	for _, value := range []string{"regcred", "{name: regcred}", `"a,b"`} {
		input := "kind: Deployment\nmetadata: {name: d, namespace: ns}\nspec:\n  template:\n    spec:\n      imagePullSecrets: " + value + "\n      containers: [{image: nginx}]\n"
		_, _, err := runOpts(t, engineOptions(t, testConfig), input)
		inputError(t, err, "document 1 (line 1)", "Deployment ns/d", "spec.template.spec.imagePullSecrets", "want a list")
	}
}

func TestPullSecretsCounted(t *testing.T) {
	input := strings.Repeat("---\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{image: nginx}]\n", 3) +
		"---\nkind: Pod\nmetadata: {name: q}\nspec:\n  imagePullSecrets: [{name: my-registry-secret}]\n  containers: [{image: nginx}]\n"
	_, report := rewriteOK(t, testConfig, input)
	if report.PodSpecs != 3 || report.Documents != 4 || report.Rewritten != 4 {
		t.Fatalf("report = %+v, want 3 pod specs given secrets, 4 documents, 4 rewritten", report)
	}
}
