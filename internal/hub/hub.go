// Package hub imports findings into AWS Security Hub: one importer for `scan --security-hub` (a report's findings) and
// `watch --security-hub` (each change), so both send the same way (issue 22: there were two).
package hub

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	shtypes "github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// API is the call an import makes.
type API interface {
	BatchImportFindings(context.Context, *securityhub.BatchImportFindingsInput, ...func(*securityhub.Options)) (*securityhub.BatchImportFindingsOutput, error)
}

// BatchSize is BatchImportFindings' limit ("The maximum number of findings that can be imported in a single request
// is 100": Security Hub API reference, BatchImportFindings).
const BatchSize = 100

// Importer imports ASFF findings from the account and region each belongs to: BatchImportFindings requires the
// caller's account to be the finding's AwsAccountId (or a product integration's), in the finding's region.
type Importer struct {
	// Client returns the Security Hub client of an account and region.
	Client func(account, region string) API
}

// Import sends fs, grouped by account and region, BatchSize at a time, and returns how many Security Hub imported and
// how many failed, with the first error (a refused call counts its whole batch as failed; a finding Security Hub
// refuses names its id and error code). A failure in one account or region never stops the others.
func (im Importer) Import(ctx context.Context, fs []shtypes.AwsSecurityFinding) (imported, failed int, err error) {
	groups := map[[2]string][]shtypes.AwsSecurityFinding{}
	for _, f := range fs {
		k := [2]string{aws.ToString(f.AwsAccountId), aws.ToString(f.Region)}
		groups[k] = append(groups[k], f)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+"/"+keys[i][1] < keys[j][0]+"/"+keys[j][1] })
	for _, k := range keys {
		client := im.Client(k[0], k[1])
		batch := groups[k]
		for start := 0; start < len(batch); start += BatchSize {
			part := batch[start:min(start+BatchSize, len(batch))]
			out, e := client.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: part})
			if e != nil {
				failed += len(part)
				if err == nil {
					err = fmt.Errorf("BatchImportFindings in account %s, %s: %w", k[0], k[1], e)
				}
				continue
			}
			imported += int(aws.ToInt32(out.SuccessCount))
			failed += int(aws.ToInt32(out.FailedCount))
			if len(out.FailedFindings) > 0 && err == nil {
				ff := out.FailedFindings[0]
				err = fmt.Errorf("refused by Security Hub: %s: %s: %s", aws.ToString(ff.Id), aws.ToString(ff.ErrorCode), aws.ToString(ff.ErrorMessage))
			}
		}
	}
	return imported, failed, err
}

// Resolve marks a finding that passes again (or whose resource is gone) archived and resolved, so that importing it
// takes it out of Security Hub's active findings (ASFF RecordState and Workflow.Status).
func Resolve(f *shtypes.AwsSecurityFinding) {
	f.RecordState = shtypes.RecordStateArchived
	f.Workflow = &shtypes.Workflow{Status: shtypes.WorkflowStatusResolved}
}
