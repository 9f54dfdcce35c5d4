package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// fake is one account and region's Security Hub: it records each call's batch size, refuses calls when down, and
// refuses each finding whose id is in refuse.
type fake struct {
	calls  []int
	down   bool
	refuse map[string]bool
}

func (f *fake) BatchImportFindings(_ context.Context, in *securityhub.BatchImportFindingsInput, _ ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error) {
	f.calls = append(f.calls, len(in.Findings))
	if f.down {
		return nil, errors.New("AccessDeniedException: not subscribed")
	}
	out := &securityhub.BatchImportFindingsOutput{}
	ok := 0
	for _, x := range in.Findings {
		if f.refuse[aws.ToString(x.Id)] {
			out.FailedFindings = append(out.FailedFindings, shtypes.ImportFindingsError{Id: x.Id, ErrorCode: aws.String("InvalidInput"), ErrorMessage: aws.String("bad")})
			continue
		}
		ok++
	}
	out.SuccessCount, out.FailedCount = aws.Int32(int32(ok)), aws.Int32(int32(len(out.FailedFindings)))
	return out, nil
}

func findings(account, region string, n int) []shtypes.AwsSecurityFinding {
	var out []shtypes.AwsSecurityFinding
	for i := range n {
		out = append(out, shtypes.AwsSecurityFinding{Id: aws.String(fmt.Sprintf("%s/%s/%d", account, region, i)), AwsAccountId: aws.String(account), Region: aws.String(region)})
	}
	return out
}

// TestImport: findings go to their own account and region, 100 a call; a region that refuses the call counts its
// findings failed without stopping the others; a refused finding is counted and named.
func TestImport(t *testing.T) {
	hubs := map[string]*fake{
		"111111111111/us-east-1": {},
		"111111111111/eu-west-1": {down: true},
		"222222222222/us-east-1": {refuse: map[string]bool{"222222222222/us-east-1/3": true}},
	}
	im := Importer{Client: func(account, region string) API { return hubs[account+"/"+region] }}
	var fs []shtypes.AwsSecurityFinding
	fs = append(fs, findings("111111111111", "us-east-1", 250)...)
	fs = append(fs, findings("111111111111", "eu-west-1", 5)...)
	fs = append(fs, findings("222222222222", "us-east-1", 10)...)
	imported, failed, err := im.Import(context.Background(), fs)
	if imported != 259 || failed != 6 {
		t.Errorf("imported %d, failed %d; want 259 (250 + 9) and 6 (5 in a region that refused, 1 refused finding)", imported, failed)
	}
	if err == nil || !strings.Contains(err.Error(), "eu-west-1") {
		t.Errorf("first error %v, want the refused region's", err)
	}
	if got := fmt.Sprint(hubs["111111111111/us-east-1"].calls); got != "[100 100 50]" {
		t.Errorf("batches %s, want [100 100 50]", got)
	}
	if len(hubs["222222222222/us-east-1"].calls) != 1 || len(hubs["111111111111/eu-west-1"].calls) != 1 {
		t.Errorf("calls: %v, %v", hubs["222222222222/us-east-1"].calls, hubs["111111111111/eu-west-1"].calls)
	}
	_, _, err = Importer{Client: func(string, string) API { return hubs["222222222222/us-east-1"] }}.Import(context.Background(), findings("222222222222", "us-east-1", 5))
	if err == nil || !strings.Contains(err.Error(), "222222222222/us-east-1/3: InvalidInput") {
		t.Errorf("a refused finding: %v", err)
	}
}
