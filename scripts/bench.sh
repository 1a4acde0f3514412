#!/usr/bin/env bash
# make bench: time helm-airgap side by side with its peers (kustomize, yq,
# kbld when available) and the ceilings (cat, a line scanner, yaml round
# trips) in ONE run of the shared harness, so every ratio compares numbers
# taken on the same machine at the same time. The harness lives in
# ../shared/bench; it is copied to build/bench-harness (the shared copy may
# be read-only) and its table is written to bench/RESULTS.md.
#
#   make bench                                # everything, ~6 min on 2 cores
#   SIZES='tiny medium' ONLY='helm-airgap cat linescan yq' make bench
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${BENCH_HARNESS:-$root/../shared/bench}
[[ -x $shared/run.sh ]] || { echo "bench: no harness at $shared (set BENCH_HARNESS)" >&2; exit 2; }
work=$root/build/bench-harness
mkdir -p "$work"
# Keep generated data and peer binaries between runs; refresh the harness code.
(cd "$shared" && tar --exclude=./data --exclude=./bin --exclude=./results --exclude=./work -cf - .) | (cd "$work" && tar -xf -)
chmod -R u+w "$work"

export TOOL_NAME=helm-airgap
export TOOL_CMD="$root/bin/helm-airgap rewrite --config $work/airgap-bench.yaml"
export ONLY=${ONLY:-} SIZES=${SIZES:-tiny small medium large}
"$work/run.sh"

mkdir -p bench
# make bench-mirror's section (between its marks) is kept.
mirror_section=$(sed -n '/^<!-- bench-mirror: begin/,/^<!-- bench-mirror: end/p' bench/RESULTS.md 2>/dev/null || true)
{
  echo "# Benchmark: helm-airgap beside its peers (one run of ../shared/bench)"
  echo
  echo "Produced by \`make bench\` ($(date -u '+%Y-%m-%d %H:%M UTC')), helm-airgap $(bin/helm-airgap version)."
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sm); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  cat "$work/results/table.md"
  [[ -z $mirror_section ]] || printf '\n%s\n' "$mirror_section"
} > bench/RESULTS.md
echo "bench: table written to bench/RESULTS.md" >&2
