{{- define "mongodb.image" -}}
{{- $registry := .image.registry -}}
{{- if .global.imageRegistry }}{{ $registry = .global.imageRegistry }}{{ end -}}
{{- printf "%s/%s:%s" $registry .image.repository .image.tag -}}
{{- end -}}
