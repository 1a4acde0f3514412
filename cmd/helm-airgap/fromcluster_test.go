package main

import (
	"strings"
	"testing"
)

// TestFromClusterDispatch: only images and check with --from-cluster (before
// any "--") go to the cluster companion.
func TestFromClusterDispatch(t *testing.T) {
	for line, want := range map[string]bool{
		"images --from-cluster -n x":       true,
		"check -c a.yaml --from-cluster":   true,
		"check --from-cluster=true":        true,
		"images ./chart -- --from-cluster": false,
		"images -c a.yaml rendered.yaml":   false,
		"rewrite --from-cluster":           false,
		"policy -c a.yaml":                 false,
		"":                                 false,
	} {
		if got := fromCluster(strings.Fields(line)); got != want {
			t.Errorf("fromCluster(%q) = %v, want %v", line, got, want)
		}
	}
}
