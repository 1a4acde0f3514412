package rewrite

import "testing"

func TestContextLocator(t *testing.T) {
	runLocators(t, []locatorCase{
		{"an image-named key", "kind: X\nspec: {sidecarImage: busybox:1.36}\n",
			[]string{"spec.sidecarImage=busybox:1.36"}},
		{"an explicit registry with a tag anywhere", "kind: X\nspec: {other: quay.io/org/tool:v1}\n",
			[]string{"spec.other=quay.io/org/tool:v1"}},
		{"a flag names the next item", "kind: X\nargs: [--engine-image, vendor/engine:v1]\n",
			[]string{"args[1]=vendor/engine:v1"}},
		{"an env variable names its value", "kind: X\nenv: [{name: RELATED_IMAGE_DB, value: postgres}]\n",
			[]string{"env[0].value=postgres"}},
		{"a repository under a repository-named key", "kind: X\nspec: {imageRepository: quay.io/org/app}\n",
			[]string{"spec.imageRepository=quay.io/org/app (repository)"}},
		{"a registry host under a registry-named key", "kind: X\nspec: {IMAGE_REGISTRY: quay.io}\n",
			[]string{"spec.IMAGE_REGISTRY=quay.io (prefix)"}},
		{"a key that is a reference", "kind: X\nimages:\n  quay.io/org/a:1: {digest: x}\n",
			[]string{`images (key "quay.io/org/a:1")=quay.io/org/a:1`}},
		{"implicit names and versions under other keys are not images", "kind: X\nspec: {app: bitnami/redis, version: '7.2', url: 'http://quay.io/x:1'}\n", []string{}},
	}, contextLocator{})
}
