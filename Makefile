# helm-airgap. `make demo` runs the rewrite on the bundled example; `make test`
# runs every test. Everything a test needs is built from go.mod (Helm 3 and 4
# are Go tool dependencies) or from the modules under tools/ (etcd,
# kube-apiserver, Argo CD's cmp-server), so a fresh machine needs only Go and
# make.
GO       ?= go
# One version everywhere: plugin.yaml's, as make dist, helm plugin list and
# "helm airgap version" show it (TestVersionsAgree).
VERSION  ?= $(shell sed -n 's/^version: *//p' plugin.yaml)
LDFLAGS  := -s -w -X main.version=$(VERSION)
GOFLAGS  ?= -trimpath
export GOTOOLCHAIN ?= local

# Static binaries: without cgo the dynamic loader and libc are not loaded at
# every start, which Helm pays on each install (measured: 18.1 -> 15.7 ms for
# a one-Deployment rewrite).
export CGO_ENABLED ?= 0

# Every cmd/<name> directory is one binary in bin/.
BINARIES := $(notdir $(wildcard cmd/*))

.PHONY: all build test test-race lint vet fmt-check demo bench dist image clean print-version

all: build

build:
	@mkdir -p bin
	@for b in $(BINARIES); do \
	  $(GO) build $(GOFLAGS) -ldflags "$(LDFLAGS)" -o bin/$$b ./cmd/$$b || exit 1; \
	done

vet:
	$(GO) vet ./...

# staticcheck, pinned in go.mod as a Go tool (go tool staticcheck), so CI and
# a developer run the same version; its first build costs about 150
# CPU-seconds (golang.org/x/tools and honnef.co/go/tools), cached after.
lint:
	$(GO) tool staticcheck ./...

# The engine runs a worker pool and the CLI shares state across goroutines:
# their tests also run under the race detector, which needs cgo. RACE_PKGS
# are the engine and CLI packages.
RACE_PKGS ?= ./rewrite/... ./rules/... ./plan/... ./cmd/helm-airgap/ ./internal/settings/ ./mirror/...
test-race:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) $(RACE_PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The first run on a machine builds the pinned tools inside the tests
# (internal/testtool): Helm 3 and 4, kustomize, etcd and kube-apiserver (about
# 500 CPU-seconds), Argo CD's cmp-server (about 270). A test waiting for that
# build counts it against its package's timeout, so the default 10 minutes is
# not enough.
TEST_TIMEOUT ?= 45m
test: build vet fmt-check lint test-race
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

demo: build
	@./scripts/demo.sh

bench: build
	@./scripts/bench.sh

# Offline Helm plugin tarballs, linux and darwin, amd64 and arm64:
# dist/airgap-<version>.tgz, dist/airgap-postrenderer-<version>.tgz and the
# unpacked dist/airgap/ for Helm 3 (docs/install.md). The version
# is plugin.yaml's; DIST_PLATFORMS narrows the platforms.
DIST_PLATFORMS ?= linux/amd64,linux/arm64,darwin/amd64,darwin/arm64
dist:
	$(GO) run ./internal/dist -out dist -platforms $(DIST_PLATFORMS)

# The Argo CD plugin's sidecar image (docs/argocd.md), built without Docker:
# dist/argocd-cmp-<version>.tar, an OCI image layout archive that
# `helm-airgap mirror --from-archive` pushes to IMAGE:<version>.
# IMAGE_PLATFORMS narrows the platforms.
IMAGE           ?= registry.internal.example.com/helm-airgap/argocd-cmp
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
image:
	$(GO) run ./internal/sidecar -out dist -image $(IMAGE) -platforms $(IMAGE_PLATFORMS)

print-version:
	@echo $(VERSION)

clean:
	rm -rf bin dist build
