#!/bin/sh
# make install: copy the binaries make build put in bin/ to $BINDIR (go env
# GOBIN, else $(go env GOPATH)/bin, where `go install` puts binaries), then
# install the plugins from this checkout into the Helm given ($1, default
# helm on PATH): `airgap` into Helm 3 or 4, `airgap-postrenderer` into Helm 4
# only (Helm 3 rejects its plugin.yaml and then loads no plugin at all). A
# plugin already installed under the same name is replaced. The plugins run
# this checkout's bin/: keep the checkout.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
helm=${1:-helm}
for b in bin/*; do
  [ -x "$b" ] || { echo "install: $root/bin is empty; run make install (it builds first)" >&2; exit 2; }
done

bindir=${BINDIR:-$(go env GOBIN)}
[ -n "$bindir" ] || bindir=$(go env GOPATH)/bin
mkdir -p "$bindir"
# The companions must sit beside helm-airgap, which runs them.
cp bin/* "$bindir/"
echo "install: $(ls bin | tr '\n' ' ')-> $bindir"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "install: $bindir is not on PATH: export PATH=\"$bindir:\$PATH\"" >&2 ;;
esac

if ! command -v "$helm" >/dev/null 2>&1; then
  echo "install: no $helm on PATH, so no plugin installed. make tools TOOLS=helm4 builds Helm 4 into build/tools/helm4 (helm3: Helm 3); then make install HELM=$root/build/tools/helm4" >&2
  exit 1
fi
version=$("$helm" version --template '{{.Version}}' 2>/dev/null || true)
case $version in
  v3.*) plugins="$root" ;;
  v4.*) plugins="$root $root/plugins/airgap-postrenderer" ;;
  *) echo "install: $helm version says \"$version\": want Helm 3 or 4" >&2; exit 1 ;;
esac
# Helm 3 and 4 keep plugins in the same directory unless told otherwise, and
# Helm 3 loads no plugin at all once it holds a Helm 4 plugin.yaml (one with
# an apiVersion, as airgap-postrenderer's): say so instead of failing later
# with "plugin already exists" or "unknown field apiVersion".
plugdir=$("$helm" env HELM_PLUGINS 2>/dev/null || true)
for f in "$plugdir"/*/plugin.yaml; do
  if [ "$plugins" = "$root" ] && [ -f "$f" ] && grep -q '^apiVersion:' "$f"; then
    echo "install: $f is a Helm 4 plugin, which Helm 3 cannot load (it then loads none): Helm 3 and 4 share $plugdir unless told otherwise. Give Helm 3 a plugin directory of its own, in every shell that runs it: export HELM_PLUGINS=\$HOME/.local/share/helm3-plugins; then make install HELM=$helm again" >&2
    exit 1
  fi
done
if [ "$plugins" != "$root" ]; then
  echo "install: a Helm 3 on this machine needs a plugin directory of its own (export HELM_PLUGINS=...): it cannot load airgap-postrenderer, now in $plugdir"
fi
for dir in $plugins; do
  name=$(sed -n 's/^name: *//p' "$dir/plugin.yaml")
  if "$helm" plugin list 2>/dev/null | grep -q "^$name[[:space:]]"; then
    "$helm" plugin uninstall "$name" >/dev/null
  fi
  "$helm" plugin install "$dir" >/dev/null
  major=${version#v}
  echo "install: Helm ${major%%.*} plugin $name <- $dir"
done
