package rewrite

import (
	"strings"
	"testing"
)

func TestPodSpecLocator(t *testing.T) {
	runLocators(t, []locatorCase{
		{"every container list and image volumes", `kind: Deployment
spec:
  template:
    spec:
      initContainers: [{name: init, image: busybox:1.36}]
      containers: [{name: app, image: nginx:1.27}]
      ephemeralContainers: [{name: debug, image: alpine:3}]
      volumes: [{name: data, image: {reference: quay.io/org/data:1}}]
`, []string{
			"spec.template.spec.initContainers[0].image=busybox:1.36",
			"spec.template.spec.containers[0].image=nginx:1.27",
			"spec.template.spec.ephemeralContainers[0].image=alpine:3",
			"spec.template.spec.volumes[0].image.reference=quay.io/org/data:1",
		}},
		{"a pod-spec shaped mapping in any kind", "kind: Rollout\nspec: {template: {spec: {containers: [{name: a, image: 'ghcr.io/x/y:1'}]}}}\n",
			[]string{"spec.template.spec.containers[0].image=ghcr.io/x/y:1"}},
		{"a Pod's own spec", "kind: Pod\nspec: {containers: [{name: a, image: redis}]}\n",
			[]string{"spec.containers[0].image=redis"}},
		{"args and env are not its business", "kind: Pod\nspec: {containers: [{name: a, image: redis, args: [--image=quay.io/x/y:1]}]}\n",
			[]string{"spec.containers[0].image=redis"}},
		{"a placeholder is left", "kind: Pod\nspec: {containers: [{name: a, image: auto}]}\n", []string{}},
		{"a CRD's schema is not a pod", "kind: CustomResourceDefinition\nspec: {x: {containers: [{image: nginx}]}}\n", []string{}},
		{"no containers list, no pod spec", "kind: Foo\nspec: {image: nginx}\n", []string{}},
	}, podSpecLocator{})
}

func TestPodSpecLocatorRefusesNonStrings(t *testing.T) {
	d, err := parse(chunk{data: []byte("kind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: 1.0}]}\n"), line: 1})
	if err != nil {
		t.Fatal(err)
	}
	w := newWalker(d, nil, &nameRoles{})
	w.locators = []locator{podSpecLocator{}}
	err = w.find()
	for _, part := range []string{"container a", "spec.containers[0].image", "must be a string", "line 3"} {
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("err = %v, want it to say %q", err, part)
		}
	}
}
