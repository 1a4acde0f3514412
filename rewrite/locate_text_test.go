package rewrite

import "testing"

func TestTextLocator(t *testing.T) {
	runLocators(t, []locatorCase{
		{"embedded YAML, walked like a manifest", "kind: ConfigMap\ndata:\n  values.yaml: |\n    proxy:\n      image: quay.io/org/proxy:1\n",
			[]string{"data.values.yaml > proxy.image=quay.io/org/proxy:1"}},
		{"embedded JSON", "kind: ConfigMap\ndata:\n  config.json: '{\"sidecar\": {\"image\": \"ghcr.io/x/y:2\"}}'\n",
			[]string{"data.config.json > sidecar.image=ghcr.io/x/y:2"}},
		{"a shell script's flags", "kind: X\ncommand: 'run --engine-image=vendor/engine:v1 --port 80'\n",
			[]string{"command=vendor/engine:v1"}},
		{"a properties file", "kind: ConfigMap\ndata:\n  app.properties: |\n    worker.image=quay.io/org/worker:3\n    name=x\n",
			[]string{"data.app.properties=quay.io/org/worker:3"}},
		{"a list under an image-named key", "kind: X\nextraImages: 'quay.io/a/b:1,ghcr.io/c/d:2'\n",
			[]string{"extraImages=quay.io/a/b:1", "extraImages=ghcr.io/c/d:2"}},
		{"an escaped slash is refused", `kind: ConfigMap
data:
  c.json: '{"image": "quay.io\/org\/x:1"}'
`, []string{`data.c.json=quay.io/org/x:1 refused`}},
		{"prose is not a reference", "kind: X\nnote: 'set image: to override the default'\n", []string{}},
	}, textLocator{}, contextLocator{})
}
