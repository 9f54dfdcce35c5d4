package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/examples"
	"github.com/trailwatch/trailwatch/internal/awssim"
	"github.com/trailwatch/trailwatch/internal/report"
)

// TestScanThroughEnvironment points `trailwatch scan` at the simulator the way a user does: AWS_ENDPOINT_URL and
// the access key in the environment, resolved by the SDK's standard credential chain.
func TestScanThroughEnvironment(t *testing.T) {
	srv := serveScenario(t, examples.Organization)
	var member awssim.Credentials
	for _, a := range srv.Accounts() {
		if a.AccountID == "444444444444" {
			member = a
		}
	}
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", member.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", member.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	// The scenario's clock started at 2026-11-22: pin trailwatch's clock to it, with the default 24h delivery age.
	code, out, errs := runAt(t, srv.Now(), "scan", "--format", "json", "--regions", "us-east-1,us-west-2")
	if code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFailed, errs)
	}
	r, err := report.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, f := range r.Findings {
		status[f.ResourceID] = string(f.Status)
	}
	want := map[string]string{
		"arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail":         "PASS",
		"arn:aws:cloudtrail:us-west-2:444444444444:trail/staging-trail":     "FAIL",
		"arn:aws:cloudtrail:us-east-1:444444444444:trail/staging-role-gone": "FAIL",
		"arn:aws:cloudtrail:us-east-1:444444444444:trail/staging-untrusted": "FAIL",
		"444444444444": "PASS",
	}
	for id, st := range want {
		if status[id] != st {
			t.Errorf("%s: %q, want %s", id, status[id], st)
		}
	}
	if len(r.Scope.Accounts) != 1 || strings.Join(r.Scope.Accounts[0].Regions, ",") != "us-east-1,us-west-2" {
		t.Errorf("scope %+v", r.Scope)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), member.SecretAccessKey) || strings.Contains(out+errs, member.SecretAccessKey) {
		t.Error("the report or the logs contain the secret key")
	}
}

// TestScanWithAssumeRoleProfile resolves credentials the way many users do: a shared-config profile with role_arn and
// source_profile, assumed through STS (the simulator's), then scans the member account it reaches.
func TestScanWithAssumeRoleProfile(t *testing.T) {
	sc, err := awssim.ParseScenario("organization.yaml", examples.Organization)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv, err := awssim.Start(ctx, sc, awssim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mgmt := srv.Accounts()[0]
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	conf := filepath.Join(dir, "config")
	os.WriteFile(creds, []byte("[mgmt]\naws_access_key_id = "+mgmt.AccessKeyID+"\naws_secret_access_key = "+mgmt.SecretAccessKey+"\n"), 0o600)
	os.WriteFile(conf, []byte("[profile member]\nrole_arn = arn:aws:iam::444444444444:role/OrganizationAccountAccessRole\nsource_profile = mgmt\nregion = us-east-1\n"), 0o600)
	// aws-sdk-go-v2 builds the STS client of an assume-role profile before it resolves AWS_ENDPOINT_URL, so that client
	// honours only the service-specific variable (sts resolveBaseEndpoint): set both, or it would call real STS.
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": srv.URL, "AWS_ENDPOINT_URL_STS": srv.URL, "AWS_CONFIG_FILE": conf, "AWS_SHARED_CREDENTIALS_FILE": creds,
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": ""} {
		t.Setenv(k, v)
	}
	code, out, errs := runAt(t, srv.Now(), "scan", "--profile", "member", "--format", "json", "--log-level", "debug")
	if code != ExitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, errs, out)
	}
	r, err := report.ReadJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scope.Accounts) != 1 || r.Scope.Accounts[0].ID != "444444444444" {
		t.Errorf("scanned %+v", r.Scope.Accounts)
	}
	if !strings.Contains(errs, "aws call") || !strings.Contains(errs, "api=cloudtrail:DescribeTrails") {
		t.Errorf("--log-level debug shows no API calls:\n%s", errs)
	}
	if strings.Contains(errs, mgmt.SecretAccessKey) || strings.Contains(out, mgmt.SecretAccessKey) {
		t.Error("a secret was printed")
	}
}
