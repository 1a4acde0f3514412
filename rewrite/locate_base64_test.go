package rewrite

import "testing"

func TestBase64Locator(t *testing.T) {
	runLocators(t, []locatorCase{
		{"a Secret's data, decoded", "kind: Secret\ndata:\n  IMAGE: cXVheS5pby9vcmcveDox\n", // quay.io/org/x:1
			[]string{"data.IMAGE=quay.io/org/x:1"}},
		{"a ConfigMap's binaryData in a List", "kind: List\nitems:\n- kind: ConfigMap\n  binaryData:\n    IMAGE: cXVheS5pby9vcmcveDox\n",
			[]string{"items[0].binaryData.IMAGE=quay.io/org/x:1"}},
		{"a !!binary value anywhere", "kind: X\nspec: {image: !!binary cXVheS5pby9vcmcveDox}\n",
			[]string{"spec.image=quay.io/org/x:1"}},
		{"binary data holds no reference", "kind: Secret\ndata:\n  key: AAECAw==\n", []string{}},
		{"a ConfigMap's data is plain text", "kind: ConfigMap\ndata:\n  IMAGE: cXVheS5pby9vcmcveDox\n", []string{}},
	}, base64Locator{}, contextLocator{})
}
