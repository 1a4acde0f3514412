{{- define "platform.image" -}}
{{- $ctx := index . 0 -}}{{- $svc := index . 1 -}}
{{- $registry := $ctx.Values.image.registry -}}
{{- if and $svc.honoursGlobalRegistry $ctx.Values.global.imageRegistry -}}
{{- $registry = $ctx.Values.global.imageRegistry -}}
{{- end -}}
{{- printf "%s/%s/%s:%s" $registry $ctx.Values.image.repository $svc.name $ctx.Values.image.tag -}}
{{- end -}}

{{- define "platform.labels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
