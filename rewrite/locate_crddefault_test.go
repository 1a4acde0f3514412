package rewrite

import "testing"

func TestCRDDefaultLocator(t *testing.T) {
	crd := func(schema string) string {
		return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: agents.example.com}\nspec:\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema:\n" + schema
	}
	const path = "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties."
	runLocators(t, []locatorCase{
		{"a default image", crd("        properties:\n          spec:\n            properties:\n              image: {type: string, default: 'quay.io/org/agent:1'}\n"),
			[]string{path + "image.default=quay.io/org/agent:1"}},
		{"a default list of images", crd("        properties:\n          spec:\n            properties:\n              sidecarImages: {type: array, items: {type: string}, default: ['docker.io/library/busybox:1.36']}\n"),
			[]string{path + "sidecarImages.default[0]=docker.io/library/busybox:1.36"}},
		{"a default object split over keys", crd("        properties:\n          spec:\n            properties:\n              image:\n                type: object\n                default: {repository: quay.io/org/agent, tag: '1'}\n"),
			[]string{path + "image.default.repository=quay.io/org/agent (repository)"}},
		{"a default in an array's items", crd("        properties:\n          spec:\n            properties:\n              workers:\n                type: array\n                items:\n                  properties:\n                    image: {type: string, default: 'ghcr.io/org/worker:2'}\n"),
			[]string{path + "workers.items.properties.image.default=ghcr.io/org/worker:2"}},
		{"descriptions and examples are documentation", crd("        properties:\n          spec:\n            properties:\n              image: {type: string, description: 'for example quay.io/org/agent:1', example: 'quay.io/org/agent:1'}\n"),
			[]string{}},
		{"a default that is no image", crd("        properties:\n          spec:\n            properties:\n              replicas: {type: integer, default: 1}\n              mode: {type: string, default: fast}\n"),
			[]string{}},
	}, crdDefaultLocator{}, compositeLocator{}, contextLocator{})
}
