package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decodeStrict reads one manifest into the Kubernetes API's own Go type (k8s.io/api, from which the API server's
// OpenAPI schemas are generated), refusing any field the type does not have: a misspelt or misplaced field is an
// error here, as kubectl apply --validate=strict makes it one.
func decodeStrict(t *testing.T, doc []byte, into any) {
	t.Helper()
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatalf("not YAML: %v\n%s", err, doc)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("not a valid %T: %v\n%s", into, err, doc)
	}
	// encoding/json matches names without regard to case, the API server does not: the object written back must
	// be the document read, field for field.
	back, err := json.Marshal(into)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(js, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &got); err != nil {
		t.Fatal(err)
	}
	dropEmpty(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%T does not hold the manifest as written (-manifest +decoded):\n%s", into, diff)
	}
}

// dropEmpty removes what Go's encoding of the API types adds and a manifest leaves out: creationTimestamp: null and
// empty status or resources objects.
func dropEmpty(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropEmpty(x)
			if len(x) == 0 && k != "emptyDir" {
				delete(m, k)
			}
		case []any:
			for _, e := range x {
				if em, ok := e.(map[string]any); ok {
					dropEmpty(em)
				}
			}
		}
	}
}

var kubeVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expand does what the kubelet does to a container's args: $(VAR) becomes the container's env value.
func expand(args []string, env map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = kubeVar.ReplaceAllStringFunc(a, func(m string) string {
			if v, ok := env[m[2:len(m)-1]]; ok {
				return v
			}
			return m
		})
	}
	return out
}

// TestDeployKubernetesRunsAsWritten: the manifests decode strictly as Kubernetes objects with the Indexed Job, retry
// per index, non-root pod and Secret wiring a sharded run needs; then the very container args they carry are run as
// the kubelet would run them (one process per completion index, $(VAR) expanded from the pod's env) against the
// simulator, and the merge CronJob's args join the run into what one single scan finds (issue 15).
func TestDeployKubernetesRunsAsWritten(t *testing.T) {
	srv := simWith(t, 9)
	at := srv.Now()
	dir := t.TempDir()
	manifests := filepath.Join(dir, "trailwatch.yaml")
	if code, _, errs := runAt(t, at, "deploy", "kubernetes", "--image", "registry.example.com/trailwatch:v1.2.3", "--shards", "3",
		"--role-arn", "arn:aws:iam::111111111111:role/trailwatch-scan", "-o", manifests); code != ExitOK {
		t.Fatalf("deploy kubernetes: exit %d %s", code, errs)
	}
	raw, err := os.ReadFile(manifests)
	if err != nil {
		t.Fatal(err)
	}
	var ns corev1.Namespace
	var sa corev1.ServiceAccount
	var scan, merge batchv1.CronJob
	docs := bytes.Split(raw, []byte("\n---\n"))
	if len(docs) != 4 {
		t.Fatalf("%d documents, want the Namespace, a ServiceAccount and two CronJobs", len(docs))
	}
	// Issue 25: the manifests named a namespace they never created, so kubectl apply failed on a fresh cluster.
	decodeStrict(t, docs[0], &ns)
	decodeStrict(t, docs[1], &sa)
	decodeStrict(t, docs[2], &scan)
	decodeStrict(t, docs[3], &merge)
	if ns.Kind != "Namespace" || ns.Name != sa.Namespace || sa.Kind != "ServiceAccount" || scan.Kind != "CronJob" || scan.APIVersion != "batch/v1" || merge.Kind != "CronJob" {
		t.Fatalf("kinds: %s %s %s/%s %s", ns.Kind, sa.Kind, scan.APIVersion, scan.Kind, merge.Kind)
	}
	if sa.Annotations["eks.amazonaws.com/role-arn"] != "arn:aws:iam::111111111111:role/trailwatch-scan" {
		t.Errorf("ServiceAccount annotations %v: want the IRSA role", sa.Annotations)
	}
	job := scan.Spec.JobTemplate.Spec
	if job.CompletionMode == nil || *job.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v: want Indexed (JOB_COMPLETION_INDEX is set only for Indexed Jobs)", job.CompletionMode)
	}
	if job.Completions == nil || job.Parallelism == nil || *job.Completions != 3 || *job.Parallelism != 3 {
		t.Errorf("completions/parallelism: want 3/3")
	}
	if job.BackoffLimitPerIndex == nil || *job.BackoffLimitPerIndex != 2 {
		t.Errorf("backoffLimitPerIndex %v: want 2 (a failed shard retried alone)", job.BackoffLimitPerIndex)
	}
	for _, cj := range []batchv1.CronJob{scan, merge} {
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		// Kubernetes requires restartPolicy Never for backoffLimitPerIndex; OnFailure would restart a half-saved shard in place.
		if pod.RestartPolicy != corev1.RestartPolicyNever || pod.ServiceAccountName != sa.Name {
			t.Errorf("%s: restartPolicy %q serviceAccount %q", cj.Name, pod.RestartPolicy, pod.ServiceAccountName)
		}
		if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 65532 {
			t.Errorf("%s: the pod must run as the image's non-root user 65532", cj.Name)
		}
		c := pod.Containers[0]
		if c.Image != "registry.example.com/trailwatch:v1.2.3" || c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
			t.Errorf("%s: image %q, read-only root file system wanted", cj.Name, c.Image)
		}
		if c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Memory().IsZero() {
			t.Errorf("%s: memory request and limit wanted", cj.Name)
		}
		for _, a := range c.Args {
			if strings.Contains(a, "postgres://") || strings.Contains(a, "$(TRAILWATCH_STORE)") {
				t.Errorf("%s: the store URL in the args, where a process listing shows it (use --store env:NAME): %q", cj.Name, a)
			}
		}
	}
	podEnv := func(c corev1.Container, values map[string]string) map[string]string {
		env := map[string]string{}
		for _, e := range c.Env {
			switch {
			case e.Value != "":
				env[e.Name] = e.Value
			case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
				if e.ValueFrom.SecretKeyRef.Name != "trailwatch-store" || e.ValueFrom.SecretKeyRef.Key != "url" {
					t.Errorf("%s from secret %s/%s", e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
				}
				env[e.Name] = values["secret"]
			case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
				if e.ValueFrom.FieldRef.FieldPath != "metadata.labels['batch.kubernetes.io/job-name']" {
					t.Errorf("%s from field %s: want the Job's name label", e.Name, e.ValueFrom.FieldRef.FieldPath)
				}
				env[e.Name] = values["job"]
			}
		}
		return env
	}

	// Run it as the cluster would. The store is a SQLite file here: merge --run latest must see only this test's run.
	values := map[string]string{"secret": filepath.Join(dir, "history.db"), "job": "trailwatch-29412345"}
	fixTmp := func(args []string) []string {
		for i, a := range args {
			args[i] = strings.Replace(a, "/tmp/", dir+"/", 1)
		}
		return args
	}
	sc := scan.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	// The container's environment, as the kubelet sets it (the store URL from the Secret included).
	scanEnv := podEnv(sc, values)
	for k, v := range scanEnv {
		t.Setenv(k, v)
	}
	args := expand(fixTmp(append([]string(nil), sc.Args...)), scanEnv)
	for k := 0; k < 3; k++ {
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(k))
		if code, _, errs := runAt(t, at, args...); code != ExitOK && code != ExitFailed || !strings.Contains(errs, "of run trailwatch-29412345") {
			t.Fatalf("shard %d (%q): exit %d\n%s", k, args, code, errs)
		}
	}
	mc := merge.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	mergeEnv := podEnv(mc, values)
	for k, v := range mergeEnv {
		t.Setenv(k, v)
	}
	margs := expand(fixTmp(append([]string(nil), mc.Args...)), mergeEnv)
	code, _, errs := runAt(t, at, margs...)
	if code != ExitFailed || !strings.Contains(errs, "recorded as scan") {
		t.Fatalf("merge (%q): exit %d\n%s", margs, code, errs)
	}
	single := filepath.Join(dir, "single.json")
	if code, _, errs := runAt(t, at, "scan", "--org", "--format", "json", "-o", single); code != ExitFailed {
		t.Fatalf("single scan: exit %d %s", code, errs)
	}
	merged := filepath.Join(dir, "organization.json")
	if diff := cmp.Diff(findingStatuses(t, single), findingStatuses(t, merged)); diff != "" {
		t.Errorf("the deployed run differs from one scan (-single +merged):\n%s", diff)
	}
	if r := readReport(t, merged); !r.Complete {
		t.Errorf("the merged run is incomplete: %q", r.Incomplete)
	}
}

func TestDeployKubernetesRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shards", "3"}, "--image is required"},
		{[]string{"--image", "r/t:v1", "--name", "Trail_Watch"}, "--name"},
		{[]string{"--image", "r/t:v1", "--schedule", "nightly"}, "--schedule"},
		{[]string{"--image", "r/t:v1", "--role-arn", "trailwatch-scan"}, "not an IAM role ARN"},
		{[]string{"--image", "r/t:v1", "--shards", "0"}, "--shards 0"},
		{[]string{"--image", "r/t:v1\"\nkind: Pod"}, "is not an image reference"},
	} {
		code, out, errs := run(t, append([]string{"deploy", "kubernetes"}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q: want a usage error naming %s and nothing written", tc.args, code, out, errs, tc.want)
		}
	}
}
