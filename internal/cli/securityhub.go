package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/trailwatch/trailwatch/internal/report"
)

// importToSecurityHub sends the report's findings to AWS Security Hub with BatchImportFindings, from the account
// and region each finding belongs to (the API requires the caller to be the finding's AwsAccountId), 100 at a time.
func importToSecurityHub(ctx context.Context, sr *scanResult, o *scanOptions, r *report.Report) (imported, failed int, err error) {
	x := extras()
	groups := map[[2]string][]shtypes.AwsSecurityFinding{}
	for _, f := range report.ASFF(r, x.Frameworks, sr.base.Region) {
		k := [2]string{aws.ToString(f.AwsAccountId), aws.ToString(f.Region)}
		groups[k] = append(groups[k], f)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	var firstErr error
	for _, k := range keys {
		cfg := sr.config(o, k[0])
		client := securityhub.NewFromConfig(cfg, func(so *securityhub.Options) { so.Region = k[1] })
		fs := groups[k]
		for start := 0; start < len(fs); start += 100 {
			out, err := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: fs[start:min(start+100, len(fs))]})
			if err != nil {
				failed += min(start+100, len(fs)) - start
				if firstErr == nil {
					firstErr = fmt.Errorf("BatchImportFindings in account %s, %s: %w", k[0], k[1], err)
				}
				continue
			}
			imported += int(aws.ToInt32(out.SuccessCount))
			failed += int(aws.ToInt32(out.FailedCount))
			if len(out.FailedFindings) > 0 && firstErr == nil {
				ff := out.FailedFindings[0]
				firstErr = fmt.Errorf("refused by Security Hub: %s: %s: %s", aws.ToString(ff.Id), aws.ToString(ff.ErrorCode), aws.ToString(ff.ErrorMessage))
			}
		}
	}
	return imported, failed, firstErr
}
