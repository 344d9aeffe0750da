{{/*
Names follow the Go provider's chart (same name, full name, selector and ServiceAccount name), so a
release installed with that chart upgrades in place: a DaemonSet's selector cannot change.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "provider.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name: fullnameOverride, else <release>-<name> unless the release name already contains it. */}}
{{- define "provider.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "provider.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* chart label value: <chart>-<version>. */}}
{{- define "provider.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the DaemonSet's pods. Never change these: the selector is immutable. */}}
{{- define "provider.selectorLabels" -}}
app: {{ include "provider.name" . }}
{{- end -}}

{{/* Labels on every object, commonLabels last so they can add to but not replace the chart's own. */}}
{{- define "provider.labels" -}}
{{ include "provider.selectorLabels" . }}
app.kubernetes.io/name: {{ include "provider.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "provider.chart" . }}
{{- range $key, $value := .Values.commonLabels }}
{{- if not (has $key (list "app" "app.kubernetes.io/name" "app.kubernetes.io/instance" "app.kubernetes.io/version" "app.kubernetes.io/managed-by" "helm.sh/chart")) }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod labels: the chart's labels plus podLabels; podLabels cannot replace the selector label. */}}
{{- define "provider.podLabels" -}}
{{- $labels := include "provider.labels" . | fromYaml -}}
{{- range $key, $value := .Values.podLabels -}}
{{- if ne $key "app" -}}
{{- $_ := set $labels $key ($value | toString) -}}
{{- end -}}
{{- end -}}
{{- toYaml $labels -}}
{{- end -}}

{{/* ServiceAccount the provider runs as. */}}
{{- define "provider.serviceAccountName" -}}
{{- .Values.rbac.serviceAccountName | default (include "provider.fullname" .) -}}
{{- end -}}

{{/*
Image reference; the tag defaults to the chart's appVersion. No public image of this provider exists, so
the repository has no default: without one the chart refuses to render, and nothing in the cluster
changes (rather than a rollout stuck on an image nobody can pull). The Go provider's image is refused
too: a values file carried over from the Go chart names it, and it has neither this chart's probes nor
its flags.
*/}}
{{- define "provider.image" -}}
{{- $repository := required "image.repository is required: no public image of the TypeScript provider exists; build it from this repository's Dockerfile, push it, and set image.repository (and image.tag, default the chart's appVersion). See docs/migrating-from-go.md." .Values.image.repository -}}
{{- if eq (trimSuffix "/" $repository) "public.ecr.aws/aws-secrets-manager/secrets-store-csi-driver-provider-aws" -}}
{{- fail (printf "image.repository is the Go provider's image (%s), probably carried over from a Go chart values file; this chart runs the TypeScript provider: set image.repository and image.tag to the image built from this repository's Dockerfile (see docs/migrating-from-go.md)" $repository) -}}
{{- end -}}
{{- printf "%s:%s" $repository (.Values.image.tag | default .Chart.AppVersion | toString) -}}
{{- end -}}

{{/* Container arguments, one "--flag=value" per line, built from the values. */}}
{{- define "provider.args" -}}
- {{ printf "--provider-volume=%s" .Values.providerVolume | quote }}
{{- if .Values.driverWritesSecrets }}
- "--driver-writes-secrets=true"
{{- end }}
{{- with .Values.k8sThrottlingParams }}
{{- if .qps }}
- {{ printf "--qps=%v" .qps | quote }}
{{- end }}
{{- if .burst }}
- {{ printf "--burst=%v" .burst | quote }}
{{- end }}
{{- end }}
{{- if .Values.eksAddonVersion }}
- {{ printf "--eks-addon-version=%s" .Values.eksAddonVersion | quote }}
{{- end }}
{{- if .Values.podIdentityHttpTimeout }}
- {{ printf "--pod-identity-http-timeout=%v" .Values.podIdentityHttpTimeout | quote }}
{{- end }}
{{- if ne (int .Values.port) 8989 }}
- {{ printf "--metrics-addr=:%d" (int .Values.port) | quote }}
{{- end }}
{{- if .Values.logLevel }}
- {{ printf "--log-level=%s" .Values.logLevel | quote }}
{{- end }}
{{- if .Values.emitEvents }}
- "--emit-events=true"
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | toString | quote }}
{{- end }}
{{- end -}}

{{/* The provider container's name (the Go chart's): external series (kube-state-metrics, cAdvisor) are selected by it. */}}
{{- define "provider.containerName" -}}
provider-aws-installer
{{- end -}}

{{/* Name of the metrics Service (used by the ServiceMonitor). */}}
{{- define "provider.metricsServiceName" -}}
{{- printf "%s-metrics" (include "provider.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Whether the metrics Service is rendered: on its own, or because the ServiceMonitor needs it. */}}
{{- define "provider.metricsService" -}}
{{- if or .Values.metrics.service.enabled .Values.metrics.serviceMonitor.enabled -}}true{{- end -}}
{{- end -}}

{{/*
Labels and annotations every alert carries: severity, the chart's alertLabels, and with runbookUrl set a
runbook_url pointing at the alert's section of docs/operating.md (its heading is the alert's name).
Called with (dict "root" $ "alert" "<name>" "severity" "<severity>").
*/}}
{{- define "provider.alertLabels" -}}
severity: {{ .severity }}
{{- range $key, $value := .root.Values.prometheusRule.alertLabels }}
{{- if ne $key "severity" }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- end -}}
{{- define "provider.runbookAnnotation" -}}
{{- with .root.Values.prometheusRule.runbookUrl -}}
runbook_url: {{ printf "%s#%s" . (lower $.alert) | quote }}
{{- end -}}
{{- end -}}

{{/*
The chart's labels plus extra ones (an object's own labels value); extra labels add to but never replace
the chart's (a selector depends on them). Called with (dict "root" $ "extra" <map> "component" <optional>).
*/}}
{{- define "provider.labelsWith" -}}
{{- $labels := include "provider.labels" .root | fromYaml -}}
{{- with .component -}}
{{- $_ := set $labels "app.kubernetes.io/component" . -}}
{{- end -}}
{{- range $key, $value := .extra -}}
{{- if not (hasKey $labels $key) -}}
{{- $_ := set $labels $key ($value | toString) -}}
{{- end -}}
{{- end -}}
{{- toYaml $labels -}}
{{- end -}}
