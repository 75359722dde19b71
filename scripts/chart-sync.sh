#!/usr/bin/env bash
# Copy the compiled Argo manifests (k8s/workflows/<env>/<pipeline>/*.yaml, from
# `cadencia compile`) into the Helm chart (charts/cadencia/files/<env>/<pipeline>/), which
# emits every pipeline's manifests verbatim so that Argo's {{...}} never meets Helm's
# template engine. Run it after `cadencia compile` (`make compile` does both);
# tests/deploy/test_chart.py fails while the copies are stale.
#   scripts/chart-sync.sh          copy, and remove copies whose source is gone (a file, or
#                                  the folder of a pipeline that was renamed or deleted)
#   scripts/chart-sync.sh --check  exit 1 listing stale copies, change nothing
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

envs=(dev staging prod)
src=k8s/workflows
dst=charts/cadencia/files
check=0
[[ "${1:-}" == --check ]] && check=1

stale=0
stale() {  # REASON: one stale copy, listed under --check (the caller fixes it otherwise)
    stale=1
    ((check)) && echo "stale: $1"
    return "$check"
}
for env in "${envs[@]}"; do
    [[ -d "$src/$env" ]] || { echo "chart-sync: $src/$env missing: run make compile" >&2; exit 1; }
    for file in "$src/$env"/*/*.yaml; do
        copy="$dst/${file#"$src/"}"
        cmp -s "$file" "$copy" && continue
        stale "$copy (differs from $file)" && mkdir -p "$(dirname "$copy")" && cp "$file" "$copy"
    done
    # the old flat layout (files/<env>/*.yaml), and pipelines or files that are gone
    for copy in "$dst/$env"/*.yaml; do
        stale "$copy (copies are in $dst/$env/<pipeline>/)" && rm "$copy"
    done
    for folder in "$dst/$env"/*/; do
        folder=${folder%/}
        if [[ ! -d "$src/${folder#"$dst/"}" ]]; then
            stale "$folder/ (no $src/${folder#"$dst/"}/)" && rm -r "$folder"
            continue
        fi
        for copy in "$folder"/*.yaml; do
            [[ -e "$src/${copy#"$dst/"}" ]] || { stale "$copy (no $src/${copy#"$dst/"})" && rm "$copy"; }
        done
    done
done
if ((check && stale)); then
    echo "chart-sync: the chart's copies are stale: run scripts/chart-sync.sh" >&2
    exit 1
fi
((check)) || echo "chart-sync: $dst/{dev,staging,prod}/<pipeline>/ match $src"
