{{/*
What every template shares: names, labels, the component table, the shared configuration, and one
Deployment, Service and HPA shape, so that deployment-<component>.yaml and the like are one line.
Named templates taking a component are called with (dict "root" $ "name" "<component>").
*/}}

{{/* The release's name for its objects: the release name when it says moim, else <release>-moim. */}}
{{- define "moim.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* <fullname>-<name>: a component's Deployment, Service, PDB…; also moim-config, moim-media. */}}
{{- define "moim.objectName" -}}
{{- printf "%s-%s" (include "moim.fullname" .root) .name -}}
{{- end -}}

{{/*
The components of scripts/components.ts: kind, port (health, metrics, and GraphQL but for
workers), the service whose database it uses, and its own environment. The chart deploys exactly
these; scripts/test/helm-chart.test.ts holds the two lists together.
*/}}
{{- define "moim.componentTable" -}}
gateway: { kind: gateway, port: 4000, metricsPort: 9464 }
social: { kind: subgraph, service: social, port: 4001 }
review: { kind: subgraph, service: review, port: 4002 }
media: { kind: subgraph, service: media, port: 4003 }
course-catalog: { kind: subgraph, service: course-catalog, port: 4004 }
chat: { kind: subgraph, service: chat, port: 4005 }
search: { kind: subgraph, service: search, port: 4006 }
social-worker: { kind: worker, service: social, port: 4101, env: { WORKER_QUEUES: "social-events,social-maintenance" } }
social-push-worker: { kind: worker, service: social, port: 4101, env: { WORKER_QUEUES: push } }
review-worker: { kind: worker, service: review, port: 4102 }
media-worker: { kind: worker, service: media, port: 4103 }
course-catalog-worker: { kind: worker, service: course-catalog, port: 4104 }
chat-worker: { kind: worker, service: chat, port: 4105 }
search-worker: { kind: worker, service: search, port: 4106 }
{{- end -}}

{{/* The services with a database, in the order the migrate process runs them. */}}
{{- define "moim.services" -}}
[social, review, media, course-catalog, chat, search]
{{- end -}}

{{/* A service's variable stem: course-catalog → COURSE_CATALOG. */}}
{{- define "moim.stem" -}}
{{- . | upper | replace "-" "_" -}}
{{- end -}}

{{/*
One component with its values resolved: the table's facts, then components.<name> over
podDefaults. hasKey, not `default`, so that replicas: 0 stays 0.
*/}}
{{- define "moim.component" -}}
{{- $facts := index (include "moim.componentTable" .root | fromYaml) .name -}}
{{- if not $facts -}}
{{- fail (printf "moim: %s is not a component of the chart" .name) -}}
{{- end -}}
{{- $values := index .root.Values.components .name | default dict -}}
{{- $defaults := .root.Values.podDefaults -}}
{{- $out := dict "name" .name "kind" $facts.kind "port" (int $facts.port) "service" ($facts.service | default "") -}}
{{- $_ := set $out "metricsPort" (int ($facts.metricsPort | default 0)) -}}
{{- $_ := set $out "replicas" (int (ternary $values.replicas $defaults.replicas (hasKey $values "replicas"))) -}}
{{- $_ := set $out "resources" ($values.resources | default $defaults.resources) -}}
{{- $_ := set $out "terminationGracePeriodSeconds" (int ($values.terminationGracePeriodSeconds | default $defaults.terminationGracePeriodSeconds)) -}}
{{- $_ := set $out "preStopSleepSeconds" (int (ternary $values.preStopSleepSeconds 0 (hasKey $values "preStopSleepSeconds"))) -}}
{{- /* How long a start may take before the kubelet restarts it: 2 minutes for the gateway, 5 for the rest. */ -}}
{{- $_ := set $out "startupSeconds" (int ($values.startupSeconds | default (ternary 120 300 (eq $facts.kind "gateway")))) -}}
{{- $_ := set $out "autoscaling" ($values.autoscaling | default (dict "enabled" false)) -}}
{{- /* The table's env last: WORKER_QUEUES is the component's identity, not a tunable. */ -}}
{{- $_ := set $out "env" (merge (deepCopy ($facts.env | default dict)) ($values.env | default dict)) -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Labels on every object (pass dict "root" $ and, for a component, "name" and "kind"). */}}
{{- define "moim.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/version: {{ .root.Values.image.tag | quote }}
{{ include "moim.podLabels" . }}
{{- end -}}

{{/* What selects a component's pods: stable across upgrades (a selector cannot change). */}}
{{- define "moim.selectorLabels" -}}
app.kubernetes.io/name: moim
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}
{{- end -}}

{{- define "moim.podLabels" -}}
{{ include "moim.selectorLabels" . }}
app.kubernetes.io/part-of: moim
{{- if .kind }}
moim.app/kind: {{ .kind }}
{{- end }}
{{- end -}}

{{- define "moim.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}

{{- define "moim.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "moim.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/*
The shared, non-secret configuration: the data of the config ConfigMap, and the migrate hook's
environment (it runs before that ConfigMap exists). Pods roll when it changes (checksum/config).
*/}}
{{- define "moim.config" -}}
{{- $v := .Values -}}
{{- $config := dict
  "NODE_ENV" "production"
  "MOIM_BACKEND" "servers"
  "LOG_LEVEL" $v.logLevel
  "MIGRATE_ON_START" "false"
  "REDIS_PREFIX" $v.redisPrefix
  "SMS_PROVIDER" $v.smsProvider
  "MEDIA_STORAGE" $v.media.storage
  "MEDIA_PUBLIC_URL" $v.media.publicUrl
-}}
{{- if eq $v.media.storage "local" -}}
{{- $_ := set $config "MEDIA_DIR" "/var/lib/moim/media" -}}
{{- else -}}
{{- $_ := set $config "GCS_BUCKET" $v.media.gcs.bucket -}}
{{- with $v.media.gcs.publicBaseUrl }}{{ $_ := set $config "GCS_PUBLIC_BASE_URL" . }}{{ end -}}
{{- end -}}
{{- $_ := set $config "SEARCH_INDEX" $v.search.index -}}
{{- if eq $v.search.index "algolia" -}}
{{- $_ := set $config "ALGOLIA_APP_ID" $v.search.algolia.appId -}}
{{- $_ := set $config "ALGOLIA_INDEX" $v.search.algolia.indexName -}}
{{- end -}}
{{- with $v.search.synonyms }}{{ $_ := set $config "SEARCH_SYNONYMS" . }}{{ end -}}
{{- range $name, $value := $v.extraEnv -}}
{{- if not (hasKey $config $name) }}{{ $_ := set $config $name (toString $value) }}{{ end -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}

{{/*
The variables the chart sets itself, with the value that sets each (empty: the chart alone):
refused in extraEnv and components.<name>.env.
*/}}
{{- define "moim.managedKeys" -}}
LOG_LEVEL: logLevel
REDIS_PREFIX: redisPrefix
SMS_PROVIDER: smsProvider
MEDIA_STORAGE: media.storage
MEDIA_PUBLIC_URL: media.publicUrl
GCS_BUCKET: media.gcs.bucket
GCS_PUBLIC_BASE_URL: media.gcs.publicBaseUrl
SEARCH_INDEX: search.index
ALGOLIA_APP_ID: search.algolia.appId
ALGOLIA_INDEX: search.algolia.indexName
SEARCH_SYNONYMS: search.synonyms
{{- range list "NODE_ENV" "MOIM_BACKEND" "MIGRATE_ON_START" "MEDIA_DIR" "PORT" "WORKER_PORT" "WORKER_QUEUES" "METRICS_PORT" "SUPERGRAPH_PATH" }}
{{ . }}: ""
{{- end }}
{{- range include "moim.services" . | fromYamlArray }}
SUBGRAPH_{{ include "moim.stem" . }}_URL: ""
{{- end }}
{{- end -}}

{{/* Names that hold credentials (as scripts/test/manifests.ts's podProblems sees them). */}}
{{- define "moim.credentialPattern" -}}
SECRET|PASSWORD|TOKEN|CREDENTIAL|_KEY$|DATABASE_URL|REDIS_URL|MYSQL_URL
{{- end -}}

{{/* Variables taken from the secret by name (dict "root" $ "keys" (list (list VAR KEY optional)…)). */}}
{{- define "moim.secretEnv" -}}
{{- $secret := .root.Values.secrets.name -}}
{{- range .keys }}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ index . 1 }}
      {{- if index . 2 }}
      optional: true
      {{- end }}
{{- end }}
{{- end -}}

{{/* Every process: the two signing secrets, Redis, and secrets.extraKeys. */}}
{{- define "moim.commonSecretKeys" -}}
- [INTERNAL_SECRET, INTERNAL_SECRET, false]
- [JWT_SECRET, JWT_SECRET, false]
- [REDIS_URL, REDIS_URL, false]
{{- range .Values.secrets.extraKeys }}
- [{{ . }}, {{ . }}, false]
{{- end }}
{{- end -}}

{{/* social's SMS credentials, optional in the secret: social names the missing ones at start. */}}
{{- define "moim.sensKeys" -}}
{{- if eq .Values.smsProvider "sens" -}}
- [SENS_ACCESS_KEY, SENS_ACCESS_KEY, true]
- [SENS_SECRET_KEY, SENS_SECRET_KEY, true]
- [SENS_SERVICE_ID, SENS_SERVICE_ID, true]
- [SENS_FROM, SENS_FROM, true]
{{- else -}}
[]
{{- end -}}
{{- end -}}

{{/*
search's Algolia keys, optional in the secret: search names the missing ones at start (dict "root"
$ "admin" <bool>). Every process that parses search's configuration needs the search-only key; the
admin key (writes) goes only where the index is written, search-worker ("admin" true): not to the
search subgraph, which only queries, nor to the migrate Job.
*/}}
{{- define "moim.algoliaKeys" -}}
{{- if eq .root.Values.search.index "algolia" -}}
{{- if .admin }}
- [ALGOLIA_ADMIN_API_KEY, ALGOLIA_ADMIN_API_KEY, true]
{{- end }}
- [ALGOLIA_SEARCH_API_KEY, ALGOLIA_SEARCH_API_KEY, true]
{{- else -}}
[]
{{- end -}}
{{- end -}}

{{/* A component's environment beside the config ConfigMap (dict "root" $ "c" <component>). */}}
{{- define "moim.componentEnv" -}}
{{- $root := .root -}}
{{- $c := .c -}}
{{- if eq $c.kind "gateway" }}
- name: PORT
  value: {{ $c.port | quote }}
- name: METRICS_PORT
  value: {{ $c.metricsPort | quote }}
- name: SUPERGRAPH_PATH
  value: /etc/moim/supergraph/supergraph.graphql
{{- $table := include "moim.componentTable" $root | fromYaml }}
{{- range include "moim.services" $root | fromYamlArray }}
- name: SUBGRAPH_{{ include "moim.stem" . }}_URL
  value: {{ printf "http://%s:%d/graphql" (include "moim.objectName" (dict "root" $root "name" .)) (int (index $table .).port) }}
{{- end }}
{{- else if eq $c.kind "subgraph" }}
- name: PORT
  value: {{ $c.port | quote }}
{{- else }}
- name: WORKER_PORT
  value: {{ $c.port | quote }}
{{- end }}
{{- range $name, $value := $c.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- $keys := include "moim.commonSecretKeys" $root | fromYamlArray -}}
{{- if $c.service -}}
{{- /* Least privilege: a service's processes get its own database, not the others'. */ -}}
{{- $keys = append $keys (list "DATABASE_URL" (printf "%s_DATABASE_URL" (include "moim.stem" $c.service)) false) -}}
{{- end -}}
{{- if eq $c.service "social" -}}
{{- $keys = concat $keys (include "moim.sensKeys" $root | fromYamlArray) -}}
{{- end -}}
{{- if eq $c.service "search" -}}
{{- $keys = concat $keys (include "moim.algoliaKeys" (dict "root" $root "admin" (eq $c.kind "worker")) | fromYamlArray) -}}
{{- end -}}
{{- include "moim.secretEnv" (dict "root" $root "keys" $keys) }}
{{- end -}}

{{/* The image's user (node, 1000); the kubelet refuses to start it as root. */}}
{{- define "moim.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "moim.containerSecurityContext" -}}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
Probes on the http port (pass the component). The startup probe gives a slow start time before
liveness counts (the component's startupSeconds): two minutes for the gateway; five for subgraphs
and workers, which with MIGRATE_ON_START=false wait (not listening yet, logging every 10 s) until
their service's migrations are applied — the migrate hook, or a Job run by hand; ten for search,
which then builds its embedded index before it listens. Readiness gates traffic and rollouts: a
pod is unready until then, and while it drains.
*/}}
{{- define "moim.probes" -}}
{{- $period := ternary 2 5 (eq .kind "gateway") -}}
startupProbe:
  httpGet: { path: /health/live, port: http }
  periodSeconds: {{ $period }}
  failureThreshold: {{ div (add .startupSeconds (sub $period 1)) $period }}
livenessProbe:
  httpGet: { path: /health/live, port: http }
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: { path: /health/ready, port: http }
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end -}}

{{- define "moim.scheduling" -}}
{{- $defaults := .root.Values.podDefaults -}}
{{- with $defaults.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $defaults.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $defaults.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if $defaults.spreadAcrossNodes }}
topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "moim.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end -}}

{{/* Whether media's files are on the chart's or an existing volume (storage local). */}}
{{- define "moim.mediaClaim" -}}
{{- if eq .Values.media.storage "local" -}}
{{- .Values.media.persistence.existingClaim | default (include "moim.objectName" (dict "root" . "name" "media")) -}}
{{- end -}}
{{- end -}}

{{/* A component's Deployment (dict "root" $ "name" "<component>"). */}}
{{- define "moim.deployment" -}}
{{- $root := .root -}}
{{- $c := include "moim.component" . | fromYaml -}}
{{- $ctx := dict "root" $root "name" $c.name "kind" $c.kind -}}
{{- $mediaClaim := "" -}}
{{- if eq $c.service "media" }}{{ $mediaClaim = include "moim.mediaClaim" $root }}{{ end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "moim.objectName" $ctx }}
  labels:
    {{- include "moim.labels" $ctx | nindent 4 }}
spec:
  {{- if not $c.autoscaling.enabled }}
  replicas: {{ $c.replicas }}
  {{- end }}
  revisionHistoryLimit: 10
  minReadySeconds: {{ $root.Values.podDefaults.minReadySeconds }}
  progressDeadlineSeconds: 600
  # A new pod takes traffic only once ready; an old one goes only when its successor is ready.
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  selector:
    matchLabels:
      {{- include "moim.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "moim.podLabels" $ctx | nindent 8 }}
      annotations:
        # The config ConfigMap alone: a supergraph change reloads in the gateway, not a restart.
        checksum/config: {{ include (print $root.Template.BasePath "/configmap-config.yaml") $root | sha256sum }}
        {{- with $root.Values.podDefaults.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "moim.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: {{ $c.terminationGracePeriodSeconds }}
      securityContext:
        {{- include "moim.podSecurityContext" $root | nindent 8 }}
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ $c.name }}
          image: {{ include "moim.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args: [{{ $c.name | quote }}]
          ports:
            - name: http
              containerPort: {{ $c.port }}
            {{- if $c.metricsPort }}
            - name: metrics
              containerPort: {{ $c.metricsPort }}
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "moim.objectName" (dict "root" $root "name" "config") }}
          env:
            {{- include "moim.componentEnv" (dict "root" $root "c" $c) | trim | nindent 12 }}
          {{- include "moim.probes" $c | nindent 10 }}
          {{- if $c.preStopSleepSeconds }}
          lifecycle:
            preStop:
              sleep:
                seconds: {{ $c.preStopSleepSeconds }}
          {{- end }}
          resources:
            {{- toYaml $c.resources | nindent 12 }}
          securityContext:
            {{- include "moim.containerSecurityContext" $root | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if eq $c.kind "gateway" }}
            # A directory, not a subPath: the kubelet updates it in place and the gateway reloads.
            - name: supergraph
              mountPath: /etc/moim/supergraph
              readOnly: true
            {{- end }}
            {{- if $mediaClaim }}
            - name: media
              mountPath: /var/lib/moim/media
            {{- end }}
      volumes:
        - name: tmp
          emptyDir: {}
        {{- if eq $c.kind "gateway" }}
        - name: supergraph
          configMap:
            name: {{ include "moim.objectName" (dict "root" $root "name" "supergraph") }}
        {{- end }}
        {{- if $mediaClaim }}
        - name: media
          persistentVolumeClaim:
            claimName: {{ $mediaClaim }}
        {{- end }}
      {{- include "moim.scheduling" $ctx | trim | nindent 6 }}
{{- end -}}

{{/*
The Service of the gateway or a subgraph (workers have none): the http port alone. The gateway's
metrics port has a ClusterIP Service of its own (service-gateway-metrics.yaml), so a gateway
Service of type LoadBalancer or NodePort never publishes it.
*/}}
{{- define "moim.service" -}}
{{- $root := .root -}}
{{- $c := include "moim.component" . | fromYaml -}}
{{- $ctx := dict "root" $root "name" $c.name "kind" $c.kind -}}
{{- $settings := (index $root.Values.components $c.name | default dict).service | default dict -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "moim.objectName" $ctx }}
  labels:
    {{- include "moim.labels" $ctx | nindent 4 }}
  {{- with $settings.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ $settings.type | default "ClusterIP" }}
  # No affinity: any replica can take any request, a WebSocket reconnect included.
  sessionAffinity: None
  selector:
    {{- include "moim.selectorLabels" $ctx | nindent 4 }}
  ports:
    - name: http
      port: {{ $c.port }}
      targetPort: http
{{- end -}}

{{/* CPU autoscaling of the gateway or chat, when components.<name>.autoscaling.enabled. */}}
{{- define "moim.hpa" -}}
{{- $root := .root -}}
{{- $c := include "moim.component" . | fromYaml -}}
{{- $ctx := dict "root" $root "name" $c.name "kind" $c.kind -}}
{{- with $c.autoscaling -}}
{{- if .enabled -}}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "moim.objectName" $ctx }}
  labels:
    {{- include "moim.labels" $ctx | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "moim.objectName" $ctx }}
  minReplicas: {{ int .minReplicas }}
  maxReplicas: {{ int .maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ int .targetCPUUtilizationPercentage }}
  {{- with .behavior }}
  behavior:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /*
A component's PodDisruptionBudget: a drain or a node upgrade takes at most one of its pods at a
time (and can still take a single-replica component's only pod, so a drain never blocks).
*/ -}}
{{- define "moim.pdb" -}}
{{- $c := include "moim.component" . | fromYaml -}}
{{- $ctx := dict "root" .root "name" $c.name "kind" $c.kind -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "moim.objectName" $ctx }}
  labels:
    {{- include "moim.labels" $ctx | nindent 4 }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "moim.selectorLabels" $ctx | nindent 6 }}
{{- end }}
