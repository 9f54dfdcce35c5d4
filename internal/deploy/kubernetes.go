// Package deploy writes what runs trailwatch's sharded organization scan on an engine teams already have: Kubernetes
// manifests (a CronJob of an Indexed Job, and a CronJob that merges the run) and, for AWS Batch, a CloudFormation
// template (a job definition and a scheduled array job). The shards meet in the history store (scan --run, merge --run).
package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/template"

	"github.com/trailwatch/trailwatch/internal/partition"
)

// Kubernetes says what the manifests hold.
type Kubernetes struct {
	Namespace   string
	Name        string // prefix of every object's name
	Image       string // the image reference, for example registry.example.com/trailwatch:v1.2.3
	Shards      int    // completions = parallelism of the Indexed Job
	Schedule    string // the scan's cron schedule
	MergeAfter  string // the merge's cron schedule (after the slowest shard is done)
	RoleARN     string // the IAM role the ServiceAccount assumes (IRSA annotation); empty for EKS Pod Identity
	StoreSecret string // the Secret holding the store URL under the key "url"
	Region      string // AWS_REGION for the Organizations and STS calls
	AssumeRole  string // the role name to assume in each member (scan --role-name)
	Retries     int    // backoffLimitPerIndex: a failed shard is retried alone
}

// Resource requests per shard pod, from docs/performance.md: a 1,000-account organization peaks at 172 MB RSS in
// one process, so a shard of up to a few thousand accounts fits 512 MiB; the scan waits on AWS more than it computes.
const (
	shardMemoryRequest = "256Mi"
	shardMemoryLimit   = "512Mi"
	shardCPURequest    = "250m"
)

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	roleARN  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	cronSpec = regexp.MustCompile(`^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$`)
)

// Validate says what to fix, before anything is written.
func (k *Kubernetes) Validate() error {
	var errs []string
	if err := partition.CheckRegion("--region", k.Region); err != nil {
		errs = append(errs, err.Error())
	}
	if !dnsLabel.MatchString(k.Namespace) || len(k.Namespace) > 63 {
		errs = append(errs, fmt.Sprintf("--namespace %q is not a Kubernetes name (lower-case letters, digits and '-', at most 63)", k.Namespace))
	}
	// A CronJob's name is at most 52 characters: the controller appends 11 for its Jobs. The merge CronJob adds "-merge".
	if !dnsLabel.MatchString(k.Name) || len(k.Name)+len("-merge") > 52 {
		errs = append(errs, fmt.Sprintf("--name %q is not a Kubernetes name of at most 46 characters (lower-case letters, digits and '-')", k.Name))
	}
	switch {
	case k.Image == "":
		errs = append(errs, "--image is required: the image reference built by make image and pushed to your registry")
	case strings.ContainsAny(k.Image, " \t\r\n\"'"):
		errs = append(errs, fmt.Sprintf("--image %q is not an image reference (no spaces, line breaks or quotes)", k.Image))
	}
	if k.Shards < 1 || k.Shards > 1000 {
		errs = append(errs, fmt.Sprintf("--shards %d: give 1 to 1000", k.Shards))
	}
	if k.Retries < 0 || k.Retries > 10 {
		errs = append(errs, fmt.Sprintf("--retries %d: give 0 to 10", k.Retries))
	}
	for flag, s := range map[string]string{"--schedule": k.Schedule, "--merge-schedule": k.MergeAfter} {
		if !cronSpec.MatchString(strings.TrimSpace(s)) {
			errs = append(errs, fmt.Sprintf("%s %q is not a cron schedule (five fields, for example \"0 2 * * *\")", flag, s))
		}
	}
	if k.RoleARN != "" && !roleARN.MatchString(k.RoleARN) {
		errs = append(errs, fmt.Sprintf("--role-arn %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", k.RoleARN))
	}
	if !dnsLabel.MatchString(k.StoreSecret) {
		errs = append(errs, fmt.Sprintf("--store-secret %q is not a Kubernetes Secret name", k.StoreSecret))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// WriteKubernetes writes the manifests as one YAML stream.
func WriteKubernetes(w io.Writer, k Kubernetes) error {
	if err := k.Validate(); err != nil {
		return err
	}
	return kubeTemplate.Execute(w, struct {
		Kubernetes
		MemoryRequest, MemoryLimit, CPURequest string
	}{k, shardMemoryRequest, shardMemoryLimit, shardCPURequest})
}

// q quotes a value as a YAML double-quoted scalar (a JSON string is one), so no input can change the document.
func q(v any) string {
	b, _ := json.Marshal(fmt.Sprint(v))
	return string(b)
}

var kubeTemplate = template.Must(template.New("k8s").Funcs(template.FuncMap{"q": q}).Parse(`# trailwatch: a sharded organization scan (trailwatch deploy kubernetes).
# Each night the scan CronJob starts an Indexed Job of {{.Shards}} pods; pod k scans shard k+1 of {{.Shards}} (scan --shard
# auto/{{.Shards}} reads JOB_COMPLETION_INDEX) and saves its report in the history store under the run, which is the
# Job's name. The first shard lists the organization once for the run. The merge CronJob later joins the latest run's
# shards (merge --run latest), names missing ones (exit 2) and records the organization-wide result in the history.
# Create the Secret first: kubectl -n {{.Namespace}} create secret generic {{.StoreSecret}} --from-literal=url=postgres://...
# (kubectl apply creates the namespace below; create it first for the Secret, or apply twice.)
apiVersion: v1
kind: Namespace
metadata:
  name: {{q .Namespace}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{q .Name}}
  namespace: {{q .Namespace}}
{{- if .RoleARN}}
  annotations:
    # IRSA: the pods assume this role (it needs sts:AssumeRole into each member's --role-name and read-only Organizations).
    eks.amazonaws.com/role-arn: {{q .RoleARN}}
{{- else}}
  # EKS Pod Identity: associate this ServiceAccount with the scanning role (aws eks create-pod-identity-association).
{{- end}}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{q .Name}}
  namespace: {{q .Namespace}}
spec:
  schedule: {{q .Schedule}}
  timeZone: "Etc/UTC"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      completionMode: Indexed
      completions: {{.Shards}}
      parallelism: {{.Shards}}
      backoffLimitPerIndex: {{.Retries}}
      ttlSecondsAfterFinished: 86400
      template:
        spec:
{{template "pod" .}}
          containers:
            - name: scan
              image: {{q .Image}}
              args: ["scan", "--org", "--role-name", {{q .AssumeRole}}, "--run", "$(TRAILWATCH_RUN)", "--shard", "auto/{{.Shards}}", "--store", "env:TRAILWATCH_STORE", "--format", "json", "-o", "/tmp/shard.json"]
              env:
                - name: TRAILWATCH_RUN
                  valueFrom:
                    fieldRef:
                      fieldPath: metadata.labels['batch.kubernetes.io/job-name']
{{template "store" .}}
                - name: AWS_REGION
                  value: {{q .Region}}
              resources:
                requests:
                  cpu: {{q .CPURequest}}
                  memory: {{q .MemoryRequest}}
                limits:
                  memory: {{q .MemoryLimit}}
{{template "hardening"}}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{printf "%s-merge" .Name | q}}
  namespace: {{q .Namespace}}
spec:
  schedule: {{q .MergeAfter}}
  timeZone: "Etc/UTC"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      ttlSecondsAfterFinished: 86400
      template:
        spec:
{{template "pod" .}}
          containers:
            - name: merge
              image: {{q .Image}}
              args: ["merge", "--run", "latest", "--store", "env:TRAILWATCH_STORE", "--format", "json", "-o", "/tmp/organization.json"]
              env:
{{template "store" .}}
              resources:
                requests:
                  cpu: "100m"
                  memory: {{q .MemoryRequest}}
                limits:
                  memory: {{q .MemoryLimit}}
{{template "hardening"}}
{{- define "pod"}}          serviceAccountName: {{q .Name}}
          restartPolicy: Never
          securityContext:
            runAsNonRoot: true
            runAsUser: 65532
            runAsGroup: 65532
            seccompProfile:
              type: RuntimeDefault{{end}}
{{- define "store"}}                - name: TRAILWATCH_STORE
                  valueFrom:
                    secretKeyRef:
                      name: {{q .StoreSecret}}
                      key: url{{end}}
{{- define "hardening"}}              securityContext:
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
                capabilities:
                  drop: ["ALL"]
              volumeMounts:
                - name: tmp
                  mountPath: /tmp
          volumes:
            - name: tmp
              emptyDir: {}{{end}}
`))
