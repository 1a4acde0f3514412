// Pinned for the node-config tests (nodeconfig): the runtime's own resolver, built
// into build/tools/ by internal/testtool. A module of its own so its
// dependencies stay out of helm-airgap's go.mod.
module github.com/plexicus/helm-airgap/tools/runtimes/k3s

go 1.26.8

require (
	github.com/google/go-containerregistry v0.22.1
	github.com/rancher/wharfie v0.7.1
	github.com/sirupsen/logrus v1.10.2
)

require (
	github.com/docker/cli v29.9.0+incompatible // indirect
	github.com/docker/docker-credential-helpers v0.9.10 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	gopkg.in/yaml.v2 v2.4.0 // indirect
)
