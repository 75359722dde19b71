#!/usr/bin/env bash
# Copy the compiled Argo manifests (k8s/workflows/<env>/*.yaml, from `cadencia compile`)
# into the Helm chart (charts/cadencia/files/<env>/), which emits them verbatim so that
# Argo's {{...}} never meets Helm's template engine. Run it after `make compile`;
# tests/deploy/test_chart.py fails while the copies are stale.
#   scripts/chart-sync.sh          copy (and remove copies whose source is gone)
#   scripts/chart-sync.sh --check  exit 1 listing stale copies, change nothing
set -euo pipefail
cd "$(dirname "$0")/.."

envs=(dev staging prod)
src=k8s/workflows
dst=charts/cadencia/files
check=0
[[ "${1:-}" == --check ]] && check=1

stale=0
for env in "${envs[@]}"; do
    [[ -d "$src/$env" ]] || { echo "chart-sync: $src/$env missing: run make compile" >&2; exit 1; }
    mkdir -p "$dst/$env"
    for file in "$src/$env"/*.yaml; do
        copy="$dst/$env/$(basename "$file")"
        if ! cmp -s "$file" "$copy"; then
            stale=1
            if ((check)); then echo "stale: $copy (differs from $file)"; else cp "$file" "$copy"; fi
        fi
    done
    for copy in "$dst/$env"/*.yaml; do
        [[ -e "$copy" ]] || continue
        if [[ ! -e "$src/$env/$(basename "$copy")" ]]; then
            stale=1
            if ((check)); then echo "stale: $copy (no $src/$env/$(basename "$copy"))"; else rm "$copy"; fi
        fi
    done
done
if ((check && stale)); then
    echo "chart-sync: the chart's copies are stale: run scripts/chart-sync.sh" >&2
    exit 1
fi
((check)) || echo "chart-sync: $dst/{dev,staging,prod} match $src"
