{{/*
Helpers. The compiled manifests (files/<environment>/*.yaml) are the source of truth for
the names the pipeline uses (namespace, service accounts, ConfigMaps): the helpers below
read them with fromYaml so that the chart's own objects always match what the
WorkflowTemplates reference. Reading is safe: only .Files.Get output is ever emitted for
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

{{/* The text of one compiled manifest: (list $ "cadencia-etl.yaml"). Fails when absent. */}}
{{- define "cadencia.compiledText" -}}
{{- $root := index . 0 -}}
{{- $path := printf "files/%s/%s" $root.Values.environment (index . 1) -}}
{{- $text := $root.Files.Get $path -}}
{{- if not $text -}}
{{- fail (printf "%s is missing: environment must be dev, staging or prod, and scripts/chart-sync.sh must have copied k8s/workflows/ into the chart" $path) -}}
{{- end -}}
{{- $text -}}
{{- end -}}

{{/* The compiled WorkflowTemplate cadencia-etl, parsed (read-only). */}}
{{- define "cadencia.etlSpec" -}}
{{- include "cadencia.compiledText" (list . "cadencia-etl.yaml") | fromYaml | toJson -}}
{{- end -}}

{{/* The namespace of the compiled manifests: every object of the chart goes there. */}}
{{- define "cadencia.namespace" -}}
{{- (include "cadencia.etlSpec" . | fromJson).metadata.namespace -}}
{{- end -}}

{{/* The step pods' ServiceAccount (spec.serviceAccountName). */}}
{{- define "cadencia.serviceAccountName.workflow" -}}
{{- (include "cadencia.etlSpec" . | fromJson).spec.serviceAccountName -}}
{{- end -}}

{{/* The executor's ServiceAccount (spec.executor.serviceAccountName). */}}
{{- define "cadencia.serviceAccountName.executor" -}}
{{- (include "cadencia.etlSpec" . | fromJson).spec.executor.serviceAccountName -}}
{{- end -}}

{{/* The artifactRepositoryRef of the compiled manifests, as JSON {configMap, key}. */}}
{{- define "cadencia.artifactRepositoryRef" -}}
{{- (include "cadencia.etlSpec" . | fromJson).spec.artifactRepositoryRef | toJson -}}
{{- end -}}

{{/* The memoize cache ConfigMap the compiled templates use. */}}
{{- define "cadencia.memoCacheName" -}}
{{- $names := list -}}
{{- range (include "cadencia.etlSpec" . | fromJson).spec.templates -}}
{{- with .memoize -}}{{- $names = append $names .cache.configMap.name -}}{{- end -}}
{{- end -}}
{{- if not $names -}}{{- fail "the compiled cadencia-etl memoizes no step: no memo cache name" -}}{{- end -}}
{{- first $names -}}
{{- end -}}

{{/* The settings ConfigMap the compiled containers read through envFrom. */}}
{{- define "cadencia.settingsName" -}}
{{- $names := list -}}
{{- range (include "cadencia.etlSpec" . | fromJson).spec.templates -}}
{{- with .container -}}{{- range .envFrom -}}{{- with .configMapRef -}}
{{- $names = append $names .name -}}
{{- end -}}{{- end -}}{{- end -}}
{{- end -}}
{{- if not $names -}}{{- fail "the compiled cadencia-etl reads no settings ConfigMap" -}}{{- end -}}
{{- first $names -}}
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
{{- $files := list "cadencia-etl.yaml" -}}
{{- if .Values.workflowTemplates.backfill }}{{ $files = append $files "cadencia-etl-backfill.yaml" }}{{ end -}}
{{- $lines := list -}}
{{- range $files -}}
{{- $doc := include "cadencia.compiledText" (list $ .) | fromYaml -}}
{{- $lines = concat $lines (splitList "\n" (include "cadencia.secretRefLines" $doc)) -}}
{{- end -}}
{{- without ($lines | uniq | sortAlpha) "" | join "\n" -}}
{{- end -}}
