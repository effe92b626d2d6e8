{{/*
Name of the chart, or nameOverride.
*/}}
{{- define "rolesmith.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects: fullnameOverride, else the release name when it already
contains the chart name, else RELEASE-NAME. Kubernetes names are limited to 63 characters.
*/}}
{{- define "rolesmith.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "rolesmith.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object of the release.
*/}}
{{- define "rolesmith.labels" -}}
helm.sh/chart: {{ include "rolesmith.chart" . }}
{{ include "rolesmith.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: rolesmith
{{- end }}

{{/*
Labels that select the controller pod; they must not change between releases.
*/}}
{{- define "rolesmith.selectorLabels" -}}
app.kubernetes.io/name: {{ include "rolesmith.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the service account the controller runs as.
*/}}
{{- define "rolesmith.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "rolesmith.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is given, else repository:tag, where the tag
defaults to the chart's appVersion.
*/}}
{{- define "rolesmith.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
Refuse settings the controller would refuse at start-up, so that a bad install fails at once
instead of leaving a crash-looping pod. The values schema says the same; this also holds when
schema validation is skipped.
*/}}
{{- define "rolesmith.validate" -}}
{{- if and (not .Values.permissionsBoundary) (not .Values.allowUnboundedRoles) }}
{{- fail "rolesmith: set permissionsBoundary to the ARN of the permissions boundary policy every role gets (e.g. --set permissionsBoundary='arn:${Partition}:iam::${AccountId}:policy/rolesmith-boundary'), or set allowUnboundedRoles=true to create roles without one" }}
{{- end }}
{{- if gt (int .Values.replicaCount) 1 }}
{{- fail "rolesmith: replicaCount must be 0 or 1; the controller has no leader election, so two replicas would reconcile the same ServiceRoles at once" }}
{{- end }}
{{- end }}

{{/*
What the controller does with the API, and nothing more: watch ServiceRoles, add and remove
its finalizer (a patch of the object), apply their status, and publish events about them.
Events go through events.k8s.io; the core group is granted too for clients that fall back to it.
*/}}
{{- define "rolesmith.rules" -}}
- apiGroups: ["rolesmith.dev"]
  resources: ["serviceroles"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["rolesmith.dev"]
  resources: ["serviceroles/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["rolesmith.dev"]
  resources: ["serviceroles/finalizers"]
  verbs: ["update"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end }}
