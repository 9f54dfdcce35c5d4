package cli

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// botocoreModel loads one service's API model from botocore's data (the Python package, or the AWS CLI's copy;
// make test-deps installs the AWS CLI), plain or gzipped as newer botocore ships them.
func botocoreModel(t *testing.T, service string) map[string]any {
	t.Helper()
	script := `import os
try:
    import botocore; print(os.path.join(os.path.dirname(botocore.__file__), "data"))
except ImportError:
    import awscli; print(os.path.join(os.path.dirname(awscli.__file__), "botocore", "data"))`
	var dir string
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if out, err := exec.Command(py, "-c", script).Output(); err == nil {
			dir = strings.TrimSpace(string(out))
			break
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, service, "*", "service-2.json*"))
	if len(files) == 0 {
		t.Fatalf("botocore's %s model not found under %q (install the AWS CLI: make test-deps)", service, dir)
	}
	sort.Strings(files)
	f, err := os.Open(files[len(files)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(f.Name(), ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkShape walks a CloudFormation or request value against a botocore shape: every key must be a member (names
// compared without regard to case, as CloudFormation capitalises the API's camelCase), required members present,
// enums and primitive types respected. Intrinsic functions ({"Ref": ...}, {"Fn::...": ...}) stand for any value.
func checkShape(t *testing.T, model map[string]any, shapeName string, v any, path string, skip map[string]bool) {
	t.Helper()
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		for k := range m {
			if k == "Ref" || strings.HasPrefix(k, "Fn::") {
				return
			}
		}
	}
	shape := model["shapes"].(map[string]any)[shapeName].(map[string]any)
	switch shape["type"] {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: want an object (%s), got %T", path, shapeName, v)
			return
		}
		members := shape["members"].(map[string]any)
		byLower := map[string]string{}
		for name := range members {
			byLower[strings.ToLower(name)] = name
		}
		for k, val := range obj {
			if skip[path+"."+k] {
				continue
			}
			name, ok := byLower[strings.ToLower(k)]
			if !ok {
				t.Errorf("%s.%s: not a member of %s", path, k, shapeName)
				continue
			}
			checkShape(t, model, members[name].(map[string]any)["shape"].(string), val, path+"."+k, skip)
		}
		req, _ := shape["required"].([]any)
		for _, r := range req {
			found := false
			for k := range obj {
				if strings.EqualFold(k, r.(string)) {
					found = true
				}
			}
			if !found && !skip[path+"."+r.(string)] {
				t.Errorf("%s: required member %s missing", path, r)
			}
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			t.Errorf("%s: want a list (%s), got %T", path, shapeName, v)
			return
		}
		for i, e := range arr {
			checkShape(t, model, shape["member"].(map[string]any)["shape"].(string), e, fmt.Sprintf("%s[%d]", path, i), skip)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s: want a string, got %T %v", path, v, v)
			return
		}
		if enum, ok := shape["enum"].([]any); ok {
			in := false
			for _, e := range enum {
				in = in || e == s
			}
			if !in {
				t.Errorf("%s: %q is not one of %v", path, s, enum)
			}
		}
	case "integer", "long":
		if _, ok := v.(int); !ok {
			if f, isF := v.(float64); !isF || f != float64(int(f)) {
				t.Errorf("%s: want an integer, got %T %v", path, v, v)
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: want a boolean, got %T", path, v)
		}
	}
}

// TestDeployBatchRunsAsWritten: the CloudFormation template's job definitions fit botocore's RegisterJobDefinition
// request, its schedules fit CreateSchedule, and the Input each schedule's universal target sends fits
// batch:SubmitJob (an array job of the shards); cfn-lint, where installed, finds nothing. Then the job definitions'
// commands run as AWS Batch runs them (an array child per index with AWS_BATCH_JOB_ID=PARENT:INDEX, the secret
// in the environment) against the simulator, and the merge gives what one scan gives (issue 15).
func TestDeployBatchRunsAsWritten(t *testing.T) {
	srv := simWith(t, 7)
	at := srv.Now()
	dir := t.TempDir()
	tmpl := filepath.Join(dir, "trailwatch-batch.yaml")
	queue := "arn:aws:batch:us-east-1:111111111111:job-queue/scans"
	if code, _, errs := runAt(t, at, "deploy", "batch", "--image", "111111111111.dkr.ecr.us-east-1.amazonaws.com/trailwatch:v1.2.3",
		"--shards", "3", "--job-queue", queue, "--job-role-arn", "arn:aws:iam::111111111111:role/trailwatch-scan",
		"--execution-role-arn", "arn:aws:iam::111111111111:role/trailwatch-exec",
		"--store-secret", "arn:aws:secretsmanager:us-east-1:111111111111:secret:trailwatch-store-AbCdEf", "-o", tmpl); code != ExitOK {
		t.Fatalf("deploy batch: exit %d %s", code, errs)
	}
	raw, err := os.ReadFile(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("not YAML: %v", err)
	}
	batch, scheduler := botocoreModel(t, "batch"), botocoreModel(t, "scheduler")
	// CloudFormation's own keys that are not API request members.
	skip := map[string]bool{}
	commands := map[string][]string{}
	var scanSize int
	for name, r := range doc.Resources {
		// yaml.v3 decodes into map[string]any, with ints as int: normalise through JSON for the walk.
		var props map[string]any
		b, _ := json.Marshal(r.Properties)
		_ = json.Unmarshal(b, &props)
		switch r.Type {
		case "AWS::Batch::JobDefinition":
			checkShape(t, batch, "RegisterJobDefinitionRequest", props, name, skip)
			cp := props["ContainerProperties"].(map[string]any)
			for _, a := range cp["Command"].([]any) {
				commands[name] = append(commands[name], a.(string))
			}
		case "AWS::Scheduler::Schedule":
			checkShape(t, scheduler, "CreateScheduleInput", props, name, skip)
			target := props["Target"].(map[string]any)
			if target["Arn"] != "arn:aws:scheduler:::aws-sdk:batch:submitJob" {
				t.Errorf("%s: target %v, want the universal batch:SubmitJob target", name, target["Arn"])
			}
			sub := target["Input"].(map[string]any)["Fn::Sub"].(string)
			input := regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllString(sub, "arn:aws:batch:us-east-1:111111111111:job-definition/$1:1")
			var req map[string]any
			if err := json.Unmarshal([]byte(input), &req); err != nil {
				t.Fatalf("%s: Input is not JSON: %v\n%s", name, err, input)
			}
			checkShape(t, batch, "SubmitJobRequest", req, name+".Input", skip)
			if req["JobQueue"] != queue {
				t.Errorf("%s: submits to %v, want %s", name, req["JobQueue"], queue)
			}
			if ap, ok := req["ArrayProperties"].(map[string]any); ok {
				scanSize = int(ap["Size"].(float64))
			}
		case "AWS::IAM::Role":
		default:
			t.Errorf("unexpected resource %s of type %s", name, r.Type)
		}
	}
	if scanSize != 3 {
		t.Errorf("the scan's array size is %d, want 3", scanSize)
	}
	if _, err := exec.LookPath("cfn-lint"); err == nil {
		if out, err := exec.Command("cfn-lint", tmpl).CombinedOutput(); err != nil {
			t.Errorf("cfn-lint: %v\n%s", err, out)
		}
	} else {
		t.Log("cfn-lint is not installed: checked against botocore's models only")
	}

	// Run it as AWS Batch would.
	t.Setenv("TRAILWATCH_STORE", filepath.Join(dir, "history.db"))
	fixTmp := func(args []string) []string {
		out := append([]string(nil), args...)
		for i, a := range out {
			out[i] = strings.Replace(a, "/tmp/", dir+"/", 1)
		}
		return out
	}
	parent := "a1b2c3d4-" + strconv.FormatInt(int64(os.Getpid()), 10)
	for k := 0; k < scanSize; k++ {
		t.Setenv("AWS_BATCH_JOB_ID", fmt.Sprintf("%s:%d", parent, k))
		t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", strconv.Itoa(k))
		if code, _, errs := runAt(t, at, fixTmp(commands["ScanJobDefinition"])...); code != ExitOK && code != ExitFailed || !strings.Contains(errs, "of run "+parent) {
			t.Fatalf("child %d: exit %d\n%s", k, code, errs)
		}
	}
	t.Setenv("AWS_BATCH_JOB_ID", "e5f6a7b8")
	if code, _, errs := runAt(t, at, fixTmp(commands["MergeJobDefinition"])...); code != ExitFailed {
		t.Fatalf("merge: exit %d\n%s", code, errs)
	}
	single := filepath.Join(dir, "single.json")
	if code, _, errs := runAt(t, at, "scan", "--org", "--format", "json", "-o", single); code != ExitFailed {
		t.Fatalf("single scan: exit %d %s", code, errs)
	}
	if diff := cmp.Diff(findingStatuses(t, single), findingStatuses(t, filepath.Join(dir, "organization.json"))); diff != "" {
		t.Errorf("the Batch run differs from one scan (-single +merged):\n%s", diff)
	}
}

func TestDeployBatchRefusesBadInput(t *testing.T) {
	base := []string{"deploy", "batch", "--image", "i:v1", "--job-queue", "arn:aws:batch:us-east-1:111111111111:job-queue/q",
		"--job-role-arn", "arn:aws:iam::111111111111:role/r", "--execution-role-arn", "arn:aws:iam::111111111111:role/e",
		"--store-secret", "arn:aws:secretsmanager:us-east-1:111111111111:secret:s"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--shards", "1"}, "2 to 10000"},
		{[]string{"--schedule", "0 2 * * *"}, "EventBridge Scheduler cron"},
		{[]string{"--job-queue", "scans"}, "not a job queue ARN"},
		{[]string{"--store-secret", "postgres://u:p@h/db"}, "not a Secrets Manager secret ARN"},
	} {
		code, out, errs := run(t, append(append([]string(nil), base...), tc.args...)...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%q: exit %d, stderr %q: want a usage error naming %q", tc.args, code, errs, tc.want)
		}
		if strings.Contains(errs, "u:p@") {
			t.Errorf("the error repeats a credential: %s", errs)
		}
	}
}
