#!/bin/sh
# make demo: render the bundled umbrella chart (testdata/charts/platform)
# through real Helm with the helm-airgap plugins and print every image
# before and after. Needs only Go and make: Helm 3 and Helm 4 are built from
# go.mod's tool dependencies into build/tools/ (make tools; once), the
# plugins are installed from this checkout (make build fills bin/) into a
# throwaway Helm home, and nothing touches your own Helm or the network.
set -eu
cd "$(dirname "$0")/.."
root=$PWD
chart=$root/testdata/charts/platform
config=$root/testdata/charts/airgap.yaml
airgap=$root/bin/helm-airgap
for f in "$airgap" "$root/build/tools/helm3" "$root/build/tools/helm4"; do
  [ -x "$f" ] || { echo "demo: $f is missing; run make demo (it builds first)" >&2; exit 2; }
done

# Real Helm, pinned in go.mod (make demo builds them first).
helm3=$root/build/tools/helm3
helm4=$root/build/tools/helm4

work=$(mktemp -d "${TMPDIR:-/tmp}/helm-airgap-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# The report helm-airgap writes (and names) when Helm 4 hides its stderr:
# outside $work, which goes at exit, so the path it prints stays readable.
report=$root/build/demo-report.txt
mkdir -p "$root/build"
rm -f "$report"
# A private Helm home per version: your own plugins and repositories stay
# untouched.
helm_in() {
  home=$work/$1
  shift
  HELM_CONFIG_HOME=$home/config HELM_DATA_HOME=$home/data HELM_CACHE_HOME=$home/cache \
    KUBECONFIG=$work/no-cluster HELM_AIRGAP_REPORT=$report "$@"
}
run3() { helm_in helm3 "$helm3" "$@"; }
run4() { helm_in helm4 "$helm4" "$@"; }

run3 plugin install "$root" >/dev/null
run4 plugin install "$root" >/dev/null
run4 plugin install "$root/plugins/airgap-postrenderer" >/dev/null

section() { printf '\n== %s\n' "$*"; }

section "Helm 4: helm template platform ./platform --post-renderer airgap-postrenderer --post-renderer-args=--config=airgap.yaml"
run4 template platform "$chart" >"$work/before.yaml"
run4 template platform "$chart" --post-renderer airgap-postrenderer \
  --post-renderer-args="--config=$config" >"$work/helm4.yaml"

section "Helm 3: helm airgap template platform ./platform --config airgap.yaml (hooks included)"
run3 airgap template platform "$chart" --config "$config" >"$work/helm3-airgap.yaml" 2>"$work/helm3.err"
sed 's/^/  /' "$work/helm3.err"
section "Helm 3: helm template ... --post-renderer helm-airgap (plain; Helm 3 does not post-render hooks)"
run3 template platform "$chart" --post-renderer "$airgap" --post-renderer-args rewrite \
  --post-renderer-args "--config=$config" >"$work/helm3-plain.yaml"

# Where every image is: helm-airgap images --why lists each image with the
# places it was found ("#   Kind name: container C (field)").
places() {
  "$airgap" images --config "$config" --why "$1" 2>/dev/null | awk '
    /^# internal, not copied: / { image = substr($0, 25); next }
    /^#   /                     { print substr($0, 5) "\t" image; next }
    /^[^#]/                     { image = $1 }'
}
for f in before helm4 helm3-airgap helm3-plain; do
  places "$work/$f.yaml" | sort >"$work/$f.places"
done

section "Every image, before and after (AFTER is what Helm 4 rendered through the plugin)"
awk -F '\t' '
  # "Kind name: container C (field)" -> "Kind name/C"
  function short(w) { sub(/ \(.*\)$/, "", w); sub(/: container /, "/", w); return w }
  FILENAME ~ /helm4.places$/        { after[$1] = $2; next }
  FILENAME ~ /helm3-airgap.places$/ { h3[$1] = $2; next }
  FILENAME ~ /helm3-plain.places$/  { plain[$1] = $2; next }
  { n++; where[n] = $1; before[n] = $2
    if (length(short($1)) + 2 > w1) w1 = length(short($1)) + 2; if (length($2) > w2) w2 = length($2) }
  END {
    printf "%-" w1 "s  %-" w2 "s  %s\n", "WHERE", "BEFORE", "AFTER"
    for (i = 1; i <= n; i++) {
      a = (where[i] in after) ? after[where[i]] : "(missing!)"
      mark = (plain[where[i]] != a) ? " *" : ""
      if (mark != "") hooks++
      printf "%-" w1 "s  %-" w2 "s  %s\n", short(where[i]) mark, before[i], a
      if (h3[where[i]] != a) bad = bad "\n  " short(where[i]) ": " h3[where[i]]
    }
    printf "\n%d image reference(s). Helm 3 with \"helm airgap template\": the same AFTER column%s\n", n, (bad == "" ? "." : ", except:" bad)
    if (hooks) printf "* a hook: plain Helm 3 --post-renderer leaves it public, since Helm 3 never post-renders hooks (docs/helm3.md).\n"
  }' "$work/helm4.places" "$work/helm3-airgap.places" "$work/helm3-plain.places" "$work/before.places"

printf '\nPull secret: %s of %s pod specs carry imagePullSecrets my-registry-secret (Helm 4 output).\n' \
  "$(grep -c -- '- name: my-registry-secret' "$work/helm4.yaml" || true)" \
  "$(awk -F '\t' '{ split($1, a, ": container "); print a[1] }' "$work/before.places" | sort -u | wc -l | tr -d ' ')"

section "Fail closed: the same config without its catch-all mirror (nginx matches no rule)"
grep -v '^mirror:' "$config" >"$work/strict.yaml"
# Helm's stderr goes through a pipe, as in a CI log.
{ run4 template platform "$chart" --post-renderer airgap-postrenderer \
  --post-renderer-args="--config=$work/strict.yaml" 2>&1 >/dev/null && echo 0 >"$work/helm4.code" || echo 1 >"$work/helm4.code"; } | cat >"$work/helm4.err"
if [ "$(cat "$work/helm4.code")" = 0 ]; then
  echo "demo: expected a failure" >&2; exit 1
fi
echo "Helm 4 throws the plugin's stderr away; helm-airgap appends its report to Helm's own stderr (Linux), so the captured stderr holds it above Helm's Error line:"
sed 's/^/  /' "$work/helm4.err"
[ -s "$report" ] || { echo "demo: helm-airgap wrote no report to $report" >&2; exit 1; }
echo "The same report is in build/demo-report.txt (also shown on the terminal when there is one)."
