package detect

import (
	"testing"
)

func TestParseFieldPath(t *testing.T) {
	steps, err := ParseFieldPath("spec.sidecars[].image")
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 3 || steps[1] != (PathStep{Key: "sidecars", Each: true}) || steps[2] != (PathStep{Key: "image"}) {
		t.Fatalf("steps = %+v", steps)
	}
	for _, bad := range []string{"", ".", "a.", "a[0].b", "a[]", "a.[]", "a]"} {
		if _, err := ParseFieldPath(bad); err == nil {
			t.Errorf("ParseFieldPath(%q) succeeded", bad)
		}
	}
}

func TestImageFieldMatches(t *testing.T) {
	tests := []struct {
		field            ImageField
		apiVersion, kind string
		want             bool
	}{
		{ImageField{APIVersion: "monitoring.coreos.com", Kind: "Prometheus"}, "monitoring.coreos.com/v1", "Prometheus", true},
		{ImageField{APIVersion: "monitoring.coreos.com", Kind: "Prometheus"}, "monitoring.coreos.com/v1alpha1", "Prometheus", true},
		{ImageField{APIVersion: "monitoring.coreos.com", Kind: "Prometheus"}, "evil.example/v1", "Prometheus", false},
		{ImageField{APIVersion: "monitoring.coreos.com", Kind: "Prometheus"}, "monitoring.coreos.com/v1", "Alertmanager", false},
		{ImageField{APIVersion: "example.com/v1", Kind: "Foo"}, "example.com/v1", "Foo", true},
		{ImageField{APIVersion: "example.com/v1", Kind: "Foo"}, "example.com/v2", "Foo", false},
		{ImageField{Kind: "Foo"}, "anything/v9", "Foo", true},
	}
	for _, tt := range tests {
		if got := tt.field.Matches(tt.apiVersion, tt.kind); got != tt.want {
			t.Errorf("%+v.Matches(%q, %q) = %v, want %v", tt.field, tt.apiVersion, tt.kind, got, tt.want)
		}
	}
}
