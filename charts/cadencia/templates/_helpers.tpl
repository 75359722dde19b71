{{/*
Helpers. The compiled manifests (files/<environment>/<pipeline>/*.yaml, one folder per
pipeline) are the source of truth for the pipelines and the names they use (namespace,
service accounts, ConfigMaps): the helpers below read every installed pipeline's manifests
with fromYaml so that the chart's own objects always match what the WorkflowTemplates
reference. Reading is safe: only .Files.Get output is ever emitted for
those manifests, and Helm never evaluates data as a template (no `tpl` in this chart).
*/}}

{{/* The chart name, for labels. */}}
{{- define "cadencia.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Chart name and version, for the helm.sh/chart label. */}}
{{- define "cadencia.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: name, instance and environment. */}}
{{- define "cadencia.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cadencia.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
cadencia.dev/environment: {{ .Values.environment }}
{{- end -}}

{{/* Common labels of every object the chart creates itself. */}}
{{- define "cadencia.labels" -}}
helm.sh/chart: {{ include "cadencia.chart" . }}
{{ include "cadencia.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: cadencia
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
Every pipeline compiled for .Values.environment, sorted, as a JSON list: one folder
files/<environment>/<pipeline>/ each (scripts/chart-sync.sh copies k8s/workflows/ there).
Nothing in the chart names a pipeline: renaming one in workflows/pipelines/ renames its
folder and files, and the chart follows.
*/}}
{{- define "cadencia.compiledPipelines" -}}
{{- $found := dict -}}
{{- range $path, $bytes := .Files.Glob (printf "files/%s/*/*.yaml" .Values.environment) -}}
{{- $_ := set $found (base (dir $path)) true -}}
{{- end -}}
{{- if not $found -}}
{{- fail (printf "files/%s/ holds no pipeline: environment must be dev, staging or prod, and scripts/chart-sync.sh must have copied k8s/workflows/%s/<pipeline>/ into the chart" .Values.environment .Values.environment) -}}
{{- end -}}
{{- keys $found | sortAlpha | toJson -}}
{{- end -}}

{{/* The pipelines this release installs (all but pipelines.disabled), as a JSON list. */}}
{{- define "cadencia.pipelines" -}}
{{- $all := include "cadencia.compiledPipelines" . | fromJsonArray -}}
{{- $off := .Values.pipelines.disabled | default list -}}
{{- range $off -}}
{{- if not (has . $all) -}}
{{- fail (printf "pipelines.disabled names %q, which environment %s does not have (it has %s)" . $.Values.environment (join ", " $all)) -}}
{{- end -}}
{{- end -}}
{{- $on := list -}}
{{- range $all }}{{ if not (has . $off) }}{{ $on = append $on . }}{{ end }}{{ end -}}
{{- if not $on -}}
{{- fail (printf "pipelines.disabled leaves no pipeline of %s to install" .Values.environment) -}}
{{- end -}}
{{- toJson $on -}}
{{- end -}}

{{/*
The text of one compiled manifest of a pipeline: (list $ "orders" "-daily") reads
files/<environment>/orders/orders-daily.yaml (the suffix is "" for the WorkflowTemplate,
"-daily" for the CronWorkflow, "-backfill" for the backfill template). Fails when absent.
*/}}
{{- define "cadencia.compiledText" -}}
{{- $root := index . 0 -}}
{{- $pipeline := index . 1 -}}
{{- $path := printf "files/%s/%s/%s%s.yaml" $root.Values.environment $pipeline $pipeline (index . 2) -}}
{{- $text := $root.Files.Get $path -}}
{{- if not $text -}}
{{- fail (printf "%s is missing: run `make compile` (cadencia compile and scripts/chart-sync.sh)" $path) -}}
{{- end -}}
{{- $text -}}
{{- end -}}

{{/* The manifest suffixes this release installs for each pipeline, as a JSON list. */}}
{{- define "cadencia.suffixes" -}}
{{- $suffixes := list "" -}}
{{- if .Values.cronWorkflow.enabled }}{{ $suffixes = append $suffixes "-daily" }}{{ end -}}
{{- if .Values.workflowTemplates.backfill }}{{ $suffixes = append $suffixes "-backfill" }}{{ end -}}
{{- toJson $suffixes -}}
{{- end -}}

{{/*
Every compiled manifest this release installs, parsed (read-only), as a JSON list: each
installed pipeline's WorkflowTemplate, and its CronWorkflow and backfill template when
they are on. The helpers below take the names the chart's own objects need from all of them.
*/}}
{{- define "cadencia.installedDocs" -}}
{{- $docs := list -}}
{{- $suffixes := include "cadencia.suffixes" . | fromJsonArray -}}
{{- range $pipeline := include "cadencia.pipelines" . | fromJsonArray -}}
{{- range $suffixes -}}
{{- $docs = append $docs (include "cadencia.compiledText" (list $ $pipeline .) | fromYaml) -}}
{{- end -}}
{{- end -}}
{{- toJson $docs -}}
{{- end -}}

{{/*
The values of one field over every installed manifest, sorted and unique, as a JSON list:
(list $ "namespace") and so on; the fields are the ones the chart's objects follow.
*/}}
{{- define "cadencia.compiledNames" -}}
{{- $field := index . 1 -}}
{{- $names := list -}}
{{- range $doc := include "cadencia.installedDocs" (index . 0) | fromJsonArray -}}
{{- $spec := $doc.spec | default dict -}}
{{- $templates := $spec.templates | default list -}}
{{- with $spec.workflowSpec }}{{ $spec = . }}{{ end -}}
{{- if eq $field "namespace" -}}
{{- $names = append $names $doc.metadata.namespace -}}
{{- else if eq $field "workflowServiceAccount" -}}
{{- with $spec.serviceAccountName }}{{ $names = append $names . }}{{ end -}}
{{- else if eq $field "executorServiceAccount" -}}
{{- with $spec.executor }}{{ with .serviceAccountName }}{{ $names = append $names . }}{{ end }}{{ end -}}
{{- else if eq $field "artifactRepositoryRef" -}}
{{- with $spec.artifactRepositoryRef }}{{ $names = append $names (toJson .) }}{{ end -}}
{{- else if eq $field "memoCache" -}}
{{- range $templates -}}
{{- with .memoize }}{{ $names = append $names .cache.configMap.name }}{{ end -}}
{{- end -}}
{{- else if eq $field "settings" -}}
{{- range $templates -}}
{{- range list .container .script -}}
{{- with . }}{{ range .envFrom }}{{ with .configMapRef }}{{ $names = append $names .name }}{{ end }}{{ end }}{{ end -}}
{{- end -}}
{{- end -}}
{{- else -}}
{{- fail (printf "cadencia.compiledNames: unknown field %s" $field) -}}
{{- end -}}
{{- end -}}
{{- $names | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/* The one value of a field every installed manifest shares; fails when they differ. */}}
{{- define "cadencia.sharedName" -}}
{{- $names := include "cadencia.compiledNames" . | fromJsonArray -}}
{{- if ne (len $names) 1 -}}
{{- fail (printf "the pipelines of %s must share one %s, and they have %s: one release installs one namespace and one artifact repository" (index . 0).Values.environment (index . 1) (toJson $names)) -}}
{{- end -}}
{{- first $names -}}
{{- end -}}

{{/* The namespace of the compiled manifests: every object of the chart goes there. */}}
{{- define "cadencia.namespace" -}}
{{- include "cadencia.sharedName" (list . "namespace") -}}
{{- end -}}

{{/* The artifactRepositoryRef of the compiled manifests, as JSON {configMap, key}. */}}
{{- define "cadencia.artifactRepositoryRef" -}}
{{- include "cadencia.sharedName" (list . "artifactRepositoryRef") -}}
{{- end -}}

{{/* The step pods' ServiceAccounts (spec.serviceAccountName), as a JSON list. */}}
{{- define "cadencia.serviceAccountNames.workflow" -}}
{{- include "cadencia.compiledNames" (list . "workflowServiceAccount") -}}
{{- end -}}

{{/* The executor's ServiceAccounts (spec.executor.serviceAccountName), as a JSON list. */}}
{{- define "cadencia.serviceAccountNames.executor" -}}
{{- include "cadencia.compiledNames" (list . "executorServiceAccount") -}}
{{- end -}}

{{/* The memoize cache ConfigMaps the compiled templates use, as a JSON list. */}}
{{- define "cadencia.memoCacheNames" -}}
{{- include "cadencia.compiledNames" (list . "memoCache") -}}
{{- end -}}

{{/* The settings ConfigMaps the compiled containers read through envFrom, as a JSON list. */}}
{{- define "cadencia.settingsNames" -}}
{{- include "cadencia.compiledNames" (list . "settings") -}}
{{- end -}}

{{/*
The steps of a pipeline that load a table, as a JSON list: (list $ "orders"). A load is a
template exporting the rows_loaded metric; its step is the step label of its results.
*/}}
{{- define "cadencia.loadSteps" -}}
{{- $doc := include "cadencia.compiledText" (append . "") | fromYaml -}}
{{- $steps := list -}}
{{- range $doc.spec.templates -}}
{{- $metrics := (.metrics | default dict).prometheus | default list -}}
{{- $loads := false -}}
{{- range $metrics }}{{ if hasSuffix "_rows_loaded" .name }}{{ $loads = true }}{{ end }}{{ end -}}
{{- if $loads -}}
{{- range $metrics -}}
{{- if hasSuffix "_step_results" .name -}}
{{- range .labels }}{{ if eq .key "step" }}{{ $steps = append $steps .value }}{{ end }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $steps | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/* One line "<secret> <key> <optional>" per secretKeyRef found anywhere under a node. */}}
{{- define "cadencia.secretRefLines" -}}
{{- if kindIs "map" . -}}
{{- with .secretKeyRef }}{{ printf "%s %s %v\n" .name .key (default false .optional) }}{{ end -}}
{{- range $k, $v := . }}{{ include "cadencia.secretRefLines" $v }}{{ end -}}
{{- else if kindIs "slice" . -}}
{{- range . }}{{ include "cadencia.secretRefLines" . }}{{ end -}}
{{- end -}}
{{- end -}}

{{/* The Secrets every installed manifest reads, sorted and unique, one per line. */}}
{{- define "cadencia.secretRefs" -}}
{{- $lines := list -}}
{{- range include "cadencia.installedDocs" . | fromJsonArray -}}
{{- $lines = concat $lines (splitList "\n" (include "cadencia.secretRefLines" .)) -}}
{{- end -}}
{{- without ($lines | uniq | sortAlpha) "" | join "\n" -}}
{{- end -}}
