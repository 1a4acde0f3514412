# helm-airgap. `make demo` runs the rewrite on the bundled example; `make test`
# runs every test. Everything a test needs is built from go.mod (Helm 3 and 4
# are Go tool dependencies) or from the modules under tools/ (etcd,
# kube-apiserver, Argo CD's cmp-server, the distribution registry), so a fresh
# machine needs only Go and make.
GO       ?= go
# One version everywhere: plugin.yaml's, as make dist, helm plugin list and
# "helm airgap version" show it (TestVersionsAgree).
VERSION  ?= $(shell sed -n 's/^version: *//p' plugin.yaml)
LDFLAGS  := -s -w -X main.version=$(VERSION)
# Every go command here (build, vet, staticcheck, the tests and the tools
# they build) compiles with -trimpath: the flag is part of each compile's
# cache key, so with it everywhere each dependency (Helm, client-go, ...) is
# compiled once for all of them, where a plain go test compiled it again.
# They also compile without DWARF: the binaries are linked with -s -w and
# the tests and tools are not debugged (go test dlv-able outside make), and
# a cold build takes 7% less CPU
# (measured: go build ./cmd/helm-airgap-helm, 309 -> 286 CPU-seconds).
export GOFLAGS := $(strip $(GOFLAGS) -trimpath -gcflags=all=-dwarf=false)
export GOTOOLCHAIN ?= local

# Static binaries: without cgo the dynamic loader and libc are not loaded at
# every start, which Helm pays on each install (measured: 18.1 -> 15.7 ms for
# a one-Deployment rewrite).
export CGO_ENABLED ?= 0

# Every cmd/<name> directory is one binary in bin/.
BINARIES := $(notdir $(wildcard cmd/*))

.PHONY: all build install tools test test-plain test-quick test-race lint vet fmt-check demo bench bench-mirror dist image clean print-version

all: build

# One go build for all of them: it compiles their packages in one graph,
# both cores busy, instead of one binary after the other.
build:
	@mkdir -p bin
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/ $(addprefix ./cmd/,$(BINARIES))

# go vet type-checks every package with its test files, so on a cold cache
# it compiles every test dependency (Helm SDK, client-go, ...) once; go test
# then reuses them.
vet:
	@echo "vet: go vet ./... (a first run compiles every test dependency: minutes)"
	@start=$$(date +%s); $(GO) vet ./... && echo "vet: done in $$(( $$(date +%s) - start ))s"

# staticcheck, pinned in go.mod as a Go tool (go tool staticcheck), so CI and
# a developer run the same version; its first build costs about 150
# CPU-seconds (golang.org/x/tools and honnef.co/go/tools), cached after.
lint:
	$(GO) tool staticcheck ./...

# The engine runs a worker pool and the CLI shares state across goroutines:
# their tests also run under the race detector, which needs cgo. RACE_PKGS
# are the engine and CLI packages.
RACE_PKGS ?= ./rewrite/... ./rules/... ./plan/... ./cmd/helm-airgap/ ./internal/settings/ ./mirror/...
# RACE_SKIP are the corpus sweeps: they run every render of testdata/corpus
# through the same worker pool the smaller tests exercise, 10-20x slower
# under the detector (about 6 of a warm run's minutes) for no interleaving
# the others miss; the main go test runs them.
RACE_SKIP ?= ^(TestCorpus|TestCorpusBinary|TestFluxPostRendererMatchesRewrite|TestFastPathMatchesParseAllOnCorpus)$$
test-race:
	CGO_ENABLED=1 $(GO_TEST) -race -skip '$(RACE_SKIP)' $(RACE_PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The pinned tools the tests run (internal/testtool's list: Helm 3 and 4,
# kustomize, etcd, kube-apiserver, Argo CD's cmp-server, the distribution
# registry, the container runtimes' mirror resolvers), built into
# build/tools/ before any test starts, a line per tool with its time, and
# reused while their pins are unchanged. TOOLS narrows the list.
TOOLS ?=
tools:
	@$(GO) run ./internal/testtool/buildtools $(TOOLS)

# With the tools prebuilt no package's -timeout pays for a build, so a hang
# fails fast.
TEST_TIMEOUT ?= 20m
# make vet has run every analyzer over the same packages: go test's own
# vet pass (a subset) would only run them again, about 100 CPU-seconds on a
# cold cache.
TEST_VET := -vet=off
# Tests that run make (the README's blocks, make print-version) must not
# see a make -j's jobserver, which they cannot reach: make would warn into
# their output.
NO_JOBSERVER := MAKEFLAGS= MFLAGS=
# TEST_FLAGS adds go test flags (-v, or -json for each test's time).
TEST_FLAGS ?=
# The go test every test target runs.
GO_TEST = $(NO_JOBSERVER) $(GO) test $(TEST_VET) -count=1 -timeout $(TEST_TIMEOUT)
# Every test runs once: RACE_PKGS' under the race detector (test-race, all
# but the corpus sweeps), the sweeps and every other package plain
# (test-plain). One after the other: side by side (make -j2) was no faster
# on 2 cores, 210 against 201 s warm.
test: build tools vet fmt-check lint test-race test-plain

test-plain:
	@race=$$($(GO) list $(RACE_PKGS)) && others=$$($(GO) list ./... | grep -vxF "$$race") && \
	  echo "$(GO_TEST) $(TEST_FLAGS) ./... but $(RACE_PKGS)" && \
	  $(GO_TEST) $(TEST_FLAGS) $$others
	$(GO_TEST) $(TEST_FLAGS) -run '$(RACE_SKIP)' $(RACE_PKGS)

# The tests without the slow ones: not e2e/ (the control plane, Argo CD, the
# release tarballs), and -short (no doc runs, no Argo CD plugin runs).
# `make test` (and .ci/run) runs them all.
test-quick: build tools vet fmt-check
	$(GO_TEST) -short $$($(GO) list ./... | grep -v /e2e)

# Builds bin/ and installs the two plugins from this checkout into the
# Helm on PATH (HELM=... another; HELM_MAJOR=3 or 4 when it cannot say):
# airgap into Helm 3 and 4, airgap-postrenderer into Helm 4 only (Helm 3
# refuses its plugin.yaml). The plugins run bin/ of this checkout: keep it.
HELM ?= helm
install: build
	@./scripts/install.sh "$(HELM)"

# The demo runs helm-airgap and, for Helm 3's helm airgap template,
# helm-airgap-helm: not the registry, cluster and KRM companions, whose
# libraries (client-go, sigstore, kyaml) a cold cache would compile first.
DEMO_BINARIES := helm-airgap helm-airgap-helm
demo:
	@$(MAKE) --no-print-directory build BINARIES="$(DEMO_BINARIES)"
	@$(GO) run ./internal/testtool/buildtools helm3 helm4
	@./scripts/demo.sh

bench: build
	@./scripts/bench.sh

# helm-airgap mirror beside crane and regctl (pinned in bench/peers) on real
# distribution registries on loopback, and the disk and loopback floor
# (bench/mirror, a test behind the benchmirror tag that make test never
# runs); its table replaces its own section of bench/RESULTS.md. Scale 1 is
# 40 images, about 1.5 GB, and needs about 4x that free under TMPDIR.
BENCH_MIRROR_SCALE ?= 1
BENCH_MIRROR_JOBS  ?= 4
bench-mirror:
	BENCH_MIRROR_SCALE=$(BENCH_MIRROR_SCALE) BENCH_MIRROR_JOBS=$(BENCH_MIRROR_JOBS) \
	  $(GO) test -tags benchmirror -count=1 -timeout 120m -run TestBenchMirror -v ./bench/mirror/

# Offline Helm plugin tarballs, one per platform (linux and darwin, amd64 and
# arm64): dist/airgap-<version>-<os>-<arch>.tgz,
# dist/airgap-postrenderer-<version>-<os>-<arch>.tgz and the unpacked
# dist/<os>-<arch>/airgap/ for Helm 3 (docs/install.md). The version is
# plugin.yaml's; DIST_PLATFORMS narrows the platforms.
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
