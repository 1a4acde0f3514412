// Command sidecar builds the Argo CD config management plugin's sidecar
// image (`make image`) with go-containerregistry: no Docker daemon, no base
// image, nothing downloaded but Go modules. Every layer is made here from
// static binaries and a few small files:
//
//	/etc/passwd, /etc/group                  argocd, uid and gid 999
//	/home/argocd                             owned by 999, the working directory
//	/home/argocd/cmp-server/config/plugin.yaml   argocd/plugin.yaml
//	/tmp                                     1777 (Argo CD mounts its own over it)
//	/usr/local/bin/helm                      Helm 3, go.mod's tool dependency
//	/usr/local/bin/helm-airgap*              every cmd/* binary
//
// The image runs as user 999 with /var/run/argocd/argocd-cmp-server as
// entrypoint, the server the repo-server's init container copies into the
// shared var-files volume. There is no shell: the plugin's generate step is
// `helm-airgap argocd generate`.
//
// The result, dist/argocd-cmp-<version>.tar (the version is plugin.yaml's,
// as make dist uses), is one OCI image layout tar holding a multi-platform
// index (linux/amd64 and linux/arm64 by default), written by package mirror
// as `helm-airgap mirror --to-archive` writes its archives, so that
// `helm-airgap mirror --from-archive` pushes it to the internal registry.
// The build is reproducible: entries sorted, owners and times fixed
// ($SOURCE_DATE_EPOCH, else 0), so the same checkout gives the same digest.
//
// Nothing imports this command. It imports mirror only for the archive
// format (with rules and plan for the reference and the plan entry mirror
// takes) and internal/release for what it shares with make dist; the
// shipped binaries are built from cmd/*, never linked with it.
package main
