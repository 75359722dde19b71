#!/usr/bin/env bash
# `make cluster-e2e`: the whole of docs/deploy.md on a throwaway kind cluster. Needs Docker
# and kind (helm and kubectl come from scripts/tools.sh when not on PATH). It creates the
# cluster, builds and loads the image, installs Argo Workflows v4 and MinIO from their Helm
# charts, the dev PostgreSQL and sample API (k8s/dev), the Secrets (random values), and
# charts/cadencia with values-dev.yaml (every pipeline of k8s/workflows/dev/); then it
# submits one run of $PIPELINE (orders: the pipeline the dev services serve data for) and
# waits for it, turns the CronWorkflows on, checks each pipeline has its own, and prints
# the UI port-forward command.
#
#   scripts/cluster-e2e.sh                run it (KEEP_CLUSTER=0 deletes the cluster after)
#   scripts/cluster-e2e.sh --render DIR   write every local manifest it would apply to DIR,
#                                         offline, with the same helm arguments (the tests
#                                         validate them; the remote Argo/MinIO charts are
#                                         not rendered)
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER=${CLUSTER:-cadencia}
NS=cadencia-dev
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE=ghcr.io/cadencia/cadencia:$VERSION
RUN_DATE=${RUN_DATE:-2026-01-15}
PIPELINE=${PIPELINE:-orders}                       # the WorkflowTemplate of the one run
ARGO_CHART_VERSION=${ARGO_CHART_VERSION:-2.0.1}    # argo-helm argo-workflows, app v4.1.0
MINIO_CHART_VERSION=${MINIO_CHART_VERSION:-5.4.0}  # charts.min.io minio
# One place for the chart's arguments: the install, the CronWorkflow step and --render.
CHART_ARGS=(cadencia charts/cadencia -n "$NS" -f charts/cadencia/values-dev.yaml)
CRON_ARGS=(--set cronWorkflow.enabled=true)
DEV_SERVICES=(k8s/dev/postgres.yaml k8s/dev/sample-api.yaml)

say() { printf '\n== %s\n' "$*" >&2; }
tools() {
    if ! command -v helm >/dev/null || ! command -v kubectl >/dev/null; then
        bash scripts/tools.sh >/dev/null
        PATH="$PWD/.tools/bin:$PATH"
    fi
}
secret() {  # name key=value...: a Secret manifest (client-side only, values never printed)
    local name=$1; shift
    local args=()
    for kv in "$@"; do args+=(--from-literal="$kv"); done
    kubectl create secret generic "$name" -n "$NS" "${args[@]}" --dry-run=client -o yaml
}
submission() {  # the Workflow `argo submit --from workflowtemplate/$PIPELINE` would create
    cat <<YAML
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: $PIPELINE-e2e-
  namespace: $NS
  labels:
    cadencia.dev/environment: dev
    cadencia.dev/pipeline: $PIPELINE
spec:
  workflowTemplateRef:
    name: $PIPELINE
  arguments:
    parameters:
    - name: run-date
      value: "$RUN_DATE"
YAML
}
namespace() { kubectl create namespace "$NS" --dry-run=client -o yaml; }
secrets() {  # every Secret the dev install reads; $PW/$KEY/$SKEY are random per run
    local url="postgresql+psycopg://cadencia:$PW@postgres:5432/cadencia"
    secret cadencia-dev-postgres "password=$PW"; echo ---
    secret cadencia-artifacts "accesskey=$KEY" "secretkey=$SKEY"; echo ---
    secret cadencia-source-db "url=$url"; echo ---
    secret cadencia-target-db "url=$url"
}
random() { LC_ALL=C tr -dc 'a-z0-9' </dev/urandom | head -c "$1"; }

if [[ "${1:-}" == --render ]]; then
    out=${2:?usage: scripts/cluster-e2e.sh --render DIR}
    mkdir -p "$out"
    tools
    PW=rendered KEY=rendered SKEY=rendered-secret
    namespace >"$out/00-namespace.yaml"
    secrets >"$out/01-secrets.yaml"
    for f in "${DEV_SERVICES[@]}"; do
        cp "$f" "$out/02-$(basename "$f")"  # applied as is, with -n $NS
    done
    helm template "${CHART_ARGS[@]}" >"$out/03-chart.yaml"
    submission >"$out/04-submit.yaml"
    helm template "${CHART_ARGS[@]}" "${CRON_ARGS[@]}" >"$out/05-chart-with-cron.yaml"
    echo "cluster-e2e: rendered to $out" >&2
    exit 0
fi

for cmd in docker kind; do
    command -v "$cmd" >/dev/null || { echo "cluster-e2e: needs $cmd (see docs/deploy.md)" >&2; exit 2; }
done
tools
PW=$(random 24) KEY=cadencia$(random 8) SKEY=$(random 32)

say "kind cluster $CLUSTER"
kind get clusters 2>/dev/null | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --wait 120s
kubectl config use-context "kind-$CLUSTER" >/dev/null
if [[ "${KEEP_CLUSTER:-1}" == 0 ]]; then trap 'kind delete cluster --name "$CLUSTER"' EXIT; fi

say "image $IMAGE"
docker build -f images/Dockerfile --build-arg VERSION="$VERSION" -t "$IMAGE" .
kind load docker-image "$IMAGE" --name "$CLUSTER"

say "Argo Workflows (argo-helm $ARGO_CHART_VERSION)"
helm upgrade --install argo-workflows argo-workflows --repo https://argoproj.github.io/argo-helm \
    --version "$ARGO_CHART_VERSION" -n argo --create-namespace \
    --set 'server.authModes={server}' --wait --timeout 10m

say "MinIO (charts.min.io $MINIO_CHART_VERSION)"
kubectl create namespace minio --dry-run=client -o yaml | kubectl apply -f -
kubectl -n minio create secret generic minio-root --from-literal=rootUser="$KEY" \
    --from-literal=rootPassword="$SKEY" --dry-run=client -o yaml | kubectl apply -f -
helm upgrade --install minio minio --repo https://charts.min.io/ --version "$MINIO_CHART_VERSION" \
    -n minio --set mode=standalone,replicas=1,persistence.enabled=false \
    --set existingSecret=minio-root,resources.requests.memory=256Mi \
    --set 'buckets[0].name=cadencia,buckets[0].policy=none' --wait --timeout 10m

say "namespace $NS, Secrets, PostgreSQL and the sample API"
namespace | kubectl apply -f -
secrets | kubectl apply -f -
kubectl apply -n "$NS" "${DEV_SERVICES[@]/#/-f=}"
kubectl -n "$NS" rollout status deploy/postgres deploy/sample-api --timeout 5m

say "charts/cadencia"
helm upgrade --install "${CHART_ARGS[@]}" --wait

say "one run for $RUN_DATE"
wf=$(submission | kubectl create -f - -o name)
for _ in $(seq 180); do  # 15 minutes at most
    phase=$(kubectl -n "$NS" get "$wf" -o jsonpath='{.status.phase}')
    [[ "$phase" == Succeeded || "$phase" == Failed || "$phase" == Error ]] && break
    sleep 5
done
echo "cluster-e2e: $wf ${phase:-Unknown}" >&2

say "the CronWorkflows, one per pipeline"
helm upgrade "${CHART_ARGS[@]}" "${CRON_ARGS[@]}" --wait
for folder in k8s/workflows/dev/*/; do
    kubectl -n "$NS" get cronworkflow "$(basename "$folder")-daily"
done

say "the UI"
echo "kubectl -n argo port-forward svc/argo-workflows-server 2746:2746  # then http://localhost:2746/workflows/$NS"
[[ "${phase:-}" == Succeeded ]]
