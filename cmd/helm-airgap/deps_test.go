package main

import (
	"os/exec"
	"strings"
	"testing"
)

// heavyModules must stay out of the fast binary: Helm runs `helm-airgap
// rewrite` at every install, and package initialisation of these costs more
// than the whole rewrite of a typical chart. Commands that need them live in
// companion binaries (see external.go).
var heavyModules = []string{
	"helm.sh/helm",
	"k8s.io/",
	"sigs.k8s.io/kustomize",
	"github.com/google/go-containerregistry",
	"google.golang.org/protobuf",
}

func TestFastBinaryStaysLight(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, heavy := range heavyModules {
			if strings.HasPrefix(pkg, heavy) {
				t.Errorf("the fast binary imports %s; move the command that needs it to a companion binary", pkg)
			}
		}
	}
}
