package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestValidationBeforeWork: what can be checked before the first AWS call is, with exit 3 and a message that says
// what to fix (issue 10 §4). The simulator's counters prove that no CloudTrail call was made.
func TestValidationBeforeWork(t *testing.T) {
	dir := t.TempDir()
	badControl := filepath.Join(dir, "exceptions.yaml")
	os.WriteFile(badControl, []byte(`exceptions:
  - control: cloudtrail-cloudwach-integration
    resources: ["arn:aws:cloudtrail:*"]
    owner: a@example.com
    reason: testing
    expires: `+time.Now().UTC().AddDate(0, 3, 0).Format("2006-01-02")+`
`), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"upper-case region", []string{"scan", "--regions", "US-EAST-1"}, `--regions "US-EAST-1": not an AWS region; did you mean us-east-1?`},
		{"typo region", []string{"scan", "--regions", "us-east-1,eu-wset-1"}, "did you mean eu-west-1?"},
		{"typo home region", []string{"scan", "--region", "us-est-1"}, `--region "us-est-1"`},
		{"unknown control in exceptions", []string{"scan", "--exceptions", badControl}, `exceptions.yaml:2: control: "cloudtrail-cloudwach-integration" is not a control id; did you mean cloudtrail-cloudwatch-integration?`},
		{"output directory missing", []string{"scan", "-o", filepath.Join(dir, "missing", "r.json")}, "does not exist"},
		{"output is a directory", []string{"scan", "-o", dir}, "is a directory"},
		{"typo OU", []string{"scan", "--org", "--ous", "Workloads/Prd"}, "did you mean Workloads/Prod?"},
		{"unknown account", []string{"scan", "--org", "--accounts", "999999999999"}, "no such account"},
		{"single-dash long flag", []string{"scan", "-org"}, "-org: long flags take two dashes: --org"},
		{"typo sub-command", []string{"fix", "plna"}, `unknown command "plna" for "trailwatch fix"; did you mean plan?`},
		{"typo command", []string{"scna"}, "unknown command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := simWith(t, 6)
			code, out, errs := run(t, tc.args...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstderr: %s\nstdout: %.200s", code, ExitUsage, tc.want, errs, out)
			}
			if n := srv.CallsTo("cloudtrail:*"); n != 0 {
				t.Errorf("%d CloudTrail calls before the input was refused", n)
			}
		})
	}
	if _, err := os.Stat("rg"); err == nil {
		t.Error("-org wrote a file named rg")
	}
}

// TestNoCredentials: with no credentials anywhere the scan stops before any call, exit 3, and says so (instead of a
// report for account "").
func TestNoCredentials(t *testing.T) {
	srv := simWith(t, 2)
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": ""} {
		t.Setenv(k, v)
	}
	code, out, errs := run(t, "scan", "--format", "json")
	if code != ExitUsage || !strings.Contains(errs, "no AWS credentials found") {
		t.Errorf("exit %d\n%s", code, errs)
	}
	if out != "" {
		t.Errorf("a report was printed: %.200s", out)
	}
	if n := srv.CallsTo("*"); n != 0 {
		t.Errorf("%d AWS calls", n)
	}
}

// TestEmptyExceptionsFile: an empty or comment-only exceptions file is an empty list, not EOF and exit 3 (issue 11).
func TestEmptyExceptionsFile(t *testing.T) {
	for name, text := range map[string]string{"empty": "", "comment": "# nothing excepted yet\n", "empty list": "exceptions:\n"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "exceptions.yaml")
			os.WriteFile(path, []byte(text), 0o600)
			if code, _, errs := run(t, "demo", "--exceptions", path, "--format", "json"); code != ExitOK {
				t.Errorf("exit %d: %s", code, errs)
			}
		})
	}
}

// TestReportFromRecomputesTheSummary: a saved report whose summary was edited is converted with the summary its
// findings bear out, and the disagreement is said (issue 11).
func TestReportFromRecomputesTheSummary(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "scan.json")
	if code, _, errs := run(t, "demo", "--format", "json", "-o", in); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	b, _ := os.ReadFile(in)
	edited := strings.Replace(string(b), `"FAIL": 8`, `"FAIL": 0`, 1)
	if edited == string(b) {
		t.Fatal("the demo report has no \"FAIL\": 8 to edit")
	}
	os.WriteFile(in, []byte(edited), 0o600)
	code, out, errs := run(t, "report", "--from", in, "--format", "table")
	if code != 0 || !strings.Contains(errs, "summary was recomputed") || !strings.Contains(out, "Summary: 8 FAIL") {
		t.Errorf("exit %d\nstderr %s\nstdout tail %s", code, errs, out[max(0, len(out)-200):])
	}
}

// TestShardAuto: --shard auto/N takes the 0-based index from Kubernetes or AWS Batch (index k is shard k+1), and is a
// usage error without one (issue 15).
func TestShardAuto(t *testing.T) {
	for _, tc := range []struct {
		env, val string
		want     int
	}{{"JOB_COMPLETION_INDEX", "0", 1}, {"JOB_COMPLETION_INDEX", "3", 4}, {"AWS_BATCH_JOB_ARRAY_INDEX", "2", 3}} {
		t.Run(tc.env+"="+tc.val, func(t *testing.T) {
			t.Setenv("JOB_COMPLETION_INDEX", "")
			os.Unsetenv("JOB_COMPLETION_INDEX")
			t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", "")
			os.Unsetenv("AWS_BATCH_JOB_ARRAY_INDEX")
			t.Setenv(tc.env, tc.val)
			i, n, err := parseShard("auto/4")
			if err != nil || i != tc.want || n != 4 {
				t.Errorf("parseShard = %d/%d %v, want %d/4", i, n, err, tc.want)
			}
		})
	}
	t.Setenv("JOB_COMPLETION_INDEX", "")
	os.Unsetenv("JOB_COMPLETION_INDEX")
	t.Setenv("AWS_BATCH_JOB_ARRAY_INDEX", "")
	os.Unsetenv("AWS_BATCH_JOB_ARRAY_INDEX")
	srv := simWith(t, 3)
	code, _, errs := run(t, "scan", "--org", "--shard", "auto/4")
	if code != ExitUsage || !strings.Contains(errs, "JOB_COMPLETION_INDEX") {
		t.Errorf("no index: exit %d %s", code, errs)
	}
	t.Setenv("JOB_COMPLETION_INDEX", "4")
	if code, _, errs := run(t, "scan", "--org", "--shard", "auto/4"); code != ExitUsage || !strings.Contains(errs, "not an index from 0 to 3") {
		t.Errorf("index out of range: exit %d %s", code, errs)
	}
	if n := srv.CallsTo("*"); n != 0 {
		t.Errorf("%d AWS calls before the shard was checked", n)
	}
}

// TestOrgSelectionCheckedFirst: what --accounts, --exclude-accounts and --role-name can be checked for without AWS
// is refused before any AWS call (it was refused only after the organization had been listed, or not at all: a role
// name with a space became one ACCESS_DENIED finding per member).
func TestOrgSelectionCheckedFirst(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"short account id", []string{"--accounts", "123"}, `--accounts "123": an account id is 12 digits`},
		{"account id with letters", []string{"--exclude-accounts", "11111111111a"}, `--exclude-accounts "11111111111a": an account id is 12 digits`},
		{"included and excluded", []string{"--accounts", "111111111111,222222222222", "--exclude-accounts", "222222222222"}, "--accounts and --exclude-accounts both name 222222222222"},
		{"role name with a space", []string{"--role-name", "bad role"}, `--role-name "bad role": an IAM role name`},
		{"empty role name", []string{"--role-name", ""}, `--role-name "": an IAM role name`},
		{"role name too long", []string{"--role-name", strings.Repeat("r", 65)}, "at most 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := simWith(t, 3)
			code, _, errs := run(t, append([]string{"scan", "--org"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstderr: %s", code, ExitUsage, tc.want, errs)
			}
			if n := srv.CallsTo("*"); n != 0 {
				t.Errorf("%d AWS calls before the input was refused", n)
			}
		})
	}
	// A role under a path is a role name too.
	simWith(t, 3)
	if code, _, errs := run(t, "scan", "--org", "--role-name", "security/Scanner", "--format", "json"); code == ExitUsage {
		t.Errorf("a role with a path was refused: %s", errs)
	}
}

// TestRefusedCredentials: credentials AWS refuses (here a wrong secret key: SignatureDoesNotMatch) stop a scan before
// any report, exit 3, saying what to check, as missing ones do; a single-account scan printed a report of one ERROR
// for account "" (exit 2), and -o overwrote the previous report with it.
func TestRefusedCredentials(t *testing.T) {
	simWith(t, 2)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
	out := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(out, []byte(`{"previous":"report"}`), 0o600)
	for _, args := range [][]string{{"scan", "--format", "json", "-o", out}, {"scan", "--org", "--format", "json", "-o", out}} {
		code, stdout, errs := run(t, args...)
		if code != ExitUsage || stdout != "" || !strings.Contains(errs, "SignatureDoesNotMatch") || !strings.Contains(errs, "secret") {
			t.Errorf("%v: exit %d, stdout %.100q\n%s", args, code, stdout, errs)
		}
		if data, _ := os.ReadFile(out); string(data) != `{"previous":"report"}` {
			t.Errorf("%v: the previous report was overwritten: %.100s", args, data)
		}
	}
	// An access key id AWS does not know is told so, not to check its secret (field trial).
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
	code, _, errs := run(t, "scan")
	if code != ExitUsage || !strings.Contains(errs, "InvalidClientTokenId") || !strings.Contains(errs, "does not know this access key id") {
		t.Errorf("an unknown key id: exit %d\n%s", code, errs)
	}
}

// TestPathsCheckedBeforeWork: a path in a directory that does not exist is the same usage error for every flag,
// before any AWS call: --store (it silently created the directories and started an empty history), --journal of fix
// apply (refused only after the scan) and watch, and deploy's -o (the error named a temporary file) (issue 22).
func TestPathsCheckedBeforeWork(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	for _, args := range [][]string{
		{"scan", "--store", filepath.Join(missing, "h.db"), "--regions", "us-east-1"},
		{"history", "--store", filepath.Join(missing, "h.db")},
		{"fix", "apply", "--yes", "--journal", filepath.Join(missing, "j.jsonl")},
		{"watch", "--queue", "https://sqs.us-east-1.amazonaws.com/111111111111/q", "--auto-fix", "--journal", filepath.Join(missing, "j.jsonl")},
		{"deploy", "cloudformation", "--org-id", "o-abcdefghij", "--ous", "r-abcd", "--regions", "us-east-1", "-o", filepath.Join(missing, "t.json")},
	} {
		code, _, errs := run(t, args...)
		if code != ExitUsage || !strings.Contains(errs, "directory "+missing+" does not exist") {
			t.Errorf("%s: exit %d %s", strings.Join(args[:2], " "), code, errs)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("%s was created", missing)
	}
}

// TestOneRegionAndPartitionCheck: every command that takes a region or a partition checks it the same way, before
// any work, naming the nearest known one. iam-policy --partition accepted aws-gov, foo and AWS; deploy cloudformation,
// kubernetes and batch accepted us-east-9 and mars-1 (issue 22).
func TestOneRegionAndPartitionCheck(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"iam-policy", "read", "--partition", "aws-gov"}, `--partition "aws-gov": want one of aws, aws-us-gov, aws-cn`},
		{[]string{"iam-policy", "read", "--partition", "AWS"}, `--partition "AWS"`},
		{[]string{"deploy", "cloudformation", "--org-id", "o-abcdefghij", "--ous", "r-abcd", "--regions", "us-east-9"}, `--regions "us-east-9": not an AWS region; did you mean`},
		{[]string{"deploy", "terraform", "--org-id", "o-abcdefghij", "--ous", "r-abcd", "--regions", "mars-1"}, `--regions "mars-1": not an AWS region`},
		{[]string{"deploy", "kubernetes", "--image", "registry.example.com/trailwatch:1", "--region", "mars-1"}, `--region "mars-1": not an AWS region`},
		{[]string{"deploy", "batch", "--image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/trailwatch:1", "--region", "us-east-9"}, `--region "us-east-9": not an AWS region`},
		{[]string{"scan", "--regions", "us-east-9"}, `--regions "us-east-9": not an AWS region; did you mean`},
	} {
		code, _, errs := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d %s", strings.Join(tc.args, " "), code, errs)
		}
	}
	if code, _, errs := run(t, "iam-policy", "read", "--partition", "aws-us-gov"); code != ExitOK {
		t.Errorf("a real partition: %d %s", code, errs)
	}
}

// TestAssumeRoleProfileUnreachable: a profile whose credentials come from AssumeRole, with STS out of reach, says
// the AssumeRole call failed, not "no AWS credentials found" (issue 22).
func TestAssumeRoleProfileUnreachable(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[profile base]\naws_access_key_id = AKIAEXAMPLEEXAMPLE00\naws_secret_access_key = example\nregion = us-east-1\n\n[profile ops]\nrole_arn = arn:aws:iam::111111111111:role/ops\nsource_profile = base\nregion = us-east-1\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens there
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	code, _, errs := run(t, "scan", "--profile", "ops", "--regions", "us-east-1", "--max-attempts", "1")
	if code != ExitUsage || !strings.Contains(errs, "sts:AssumeRole, which failed") || strings.Contains(errs, "no AWS credentials found") {
		t.Errorf("exit %d: %s", code, errs)
	}
	if strings.Contains(errs, "example") && strings.Contains(errs, "aws_secret_access_key") {
		t.Errorf("the error shows the profile's secret: %s", errs)
	}
}
