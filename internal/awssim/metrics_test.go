package awssim

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

const metricsScenario = `
accounts:
  - id: "111111111111"
    regions: [us-east-1, eu-west-1]
    log_groups:
      - {name: CT, region: us-east-1, daily_bytes: [1000, 0, 3000]}
    telemetry_status: RUNNING
    telemetry_rules:
      - {name: ct, all_regions: true, daily_bytes: [500, 700]}
`

func incomingQuery(id, group, metric string) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Period: aws.Int32(86400), Stat: aws.String("Sum"),
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Logs"), MetricName: aws.String(metric),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("LogGroupName"), Value: aws.String(group)}}}}}
}

// TestGetMetricDataIncomingBytes: the AWS/Logs IncomingBytes and IncomingLogEvents of a log group, daily Sums, served in
// CBOR to the Go SDK: the scenario's daily_bytes (a day with 0 has no datapoint), newest first by default, the
// telemetry rule's groups in every region, nothing for another metric, and the API reference's validation errors.
func TestGetMetricDataIncomingBytes(t *testing.T) {
	s := start(t, metricsScenario)
	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(s.SDKConfig("111111111111", "us-east-1"))
	today := fixedNow.Truncate(24 * time.Hour)
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(today.AddDate(0, 0, -7)), EndTime: aws.Time(today),
		MetricDataQueries: []cwtypes.MetricDataQuery{incomingQuery("ct", "CT", "IncomingBytes"), incomingQuery("tel", "aws/cloudtrail/managementevents", "IncomingBytes"),
			incomingQuery("other", "CT", "ForwardedBytes"), incomingQuery("events", "CT", "IncomingLogEvents")}}
	out, err := cw.GetMetricData(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]cwtypes.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r
		if r.StatusCode != cwtypes.StatusCodeComplete {
			t.Errorf("%s: status %s", aws.ToString(r.Id), r.StatusCode)
		}
	}
	ct := got["ct"]
	if len(ct.Values) != 2 || ct.Values[0] != 3000 || ct.Values[1] != 1000 || !ct.Timestamps[0].Equal(today.AddDate(0, 0, -1)) || !ct.Timestamps[1].Equal(today.AddDate(0, 0, -3)) {
		t.Errorf("CT: %v at %v, want 3000 yesterday and 1000 three days ago", ct.Values, ct.Timestamps)
	}
	if tel := got["tel"]; len(tel.Values) != 2 || tel.Values[0] != 700 || tel.Values[1] != 500 {
		t.Errorf("telemetry group: %v", tel.Values)
	}
	if len(got["other"].Values) != 0 || len(got["events"].Values) != 2 || got["events"].Values[0] != 3 {
		t.Errorf("ForwardedBytes %v (want none), IncomingLogEvents %v (want 3, 1)", got["other"].Values, got["events"].Values)
	}
	in.ScanBy = cwtypes.ScanByTimestampAscending
	if out, err := cw.GetMetricData(ctx, in); err != nil || out.MetricDataResults[0].Values[0] != 1000 {
		t.Errorf("ascending: %v %v", out, err)
	}
	eu, err := cw.GetMetricData(ctx, in, func(o *cloudwatch.Options) { o.Region = "eu-west-1" })
	if err != nil || len(eu.MetricDataResults[0].Values) != 0 || len(eu.MetricDataResults[1].Values) != 2 {
		t.Errorf("eu-west-1 (no CT there; the rule's group is): %v %v", eu, err)
	}
	for name, bad := range map[string]*cloudwatch.GetMetricDataInput{
		"start after end": {StartTime: aws.Time(today), EndTime: aws.Time(today.AddDate(0, 0, -1)), MetricDataQueries: in.MetricDataQueries[:1]},
		"bad id":          {StartTime: in.StartTime, EndTime: in.EndTime, MetricDataQueries: []cwtypes.MetricDataQuery{incomingQuery("Upper", "CT", "IncomingBytes")}},
		"duplicate id":    {StartTime: in.StartTime, EndTime: in.EndTime, MetricDataQueries: []cwtypes.MetricDataQuery{incomingQuery("a", "CT", "IncomingBytes"), incomingQuery("a", "CT", "IncomingBytes")}},
	} {
		if _, err := cw.GetMetricData(ctx, bad); apiCode(err) != "InvalidParameterValue" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestGetMetricDataThroughTheAWSCLI: the AWS CLI (awsJson1.0 in botocore's model for older releases, CBOR in newer)
// reads the same datapoints.
func TestGetMetricDataThroughTheAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the AWS CLI (aws) is not on the PATH; install it to run this cross-check")
	}
	s := start(t, metricsScenario)
	today := fixedNow.Truncate(24 * time.Hour)
	q := `[{"Id":"ct","MetricStat":{"Metric":{"Namespace":"AWS/Logs","MetricName":"IncomingBytes","Dimensions":[{"Name":"LogGroupName","Value":"CT"}]},"Period":86400,"Stat":"Sum"}}]`
	cmd := exec.Command("aws", "cloudwatch", "get-metric-data", "--metric-data-queries", q, "--start-time", today.AddDate(0, 0, -7).Format(time.RFC3339),
		"--end-time", today.Format(time.RFC3339), "--output", "json")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "AWS_ENDPOINT_URL="+s.URL, "AWS_ACCESS_KEY_ID="+AccessKeyFor("111111111111"), "AWS_SECRET_ACCESS_KEY="+secretFor("111111111111"),
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_MAX_ATTEMPTS=1", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws cloudwatch get-metric-data: %v\n%s", err, out)
	}
	var res struct {
		MetricDataResults []struct {
			ID     string `json:"Id"`
			Values []float64
		}
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.MetricDataResults) != 1 || len(res.MetricDataResults[0].Values) != 2 || res.MetricDataResults[0].Values[0] != 3000 {
		t.Errorf("get-metric-data: %v\n%s", err, out)
	}
}
