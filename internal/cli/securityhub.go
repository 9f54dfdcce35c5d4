package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/trailwatch/trailwatch/internal/hub"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
	"github.com/trailwatch/trailwatch/internal/watch"
)

// importer is the one Security Hub importer, reaching each finding's account with the scan's credentials (the role
// assumed in a member).
func importer(sr *scanResult, o *scanOptions) hub.Importer {
	return hub.Importer{Client: func(account, region string) hub.API {
		return securityhub.NewFromConfig(sr.MemberConfig(account, o.roleName, o.externalID), func(so *securityhub.Options) { so.Region = region })
	}}
}

// importToSecurityHub sends the report's findings to AWS Security Hub (ASFF).
func importToSecurityHub(ctx context.Context, sr *scanResult, o *scanOptions, r *report.Report) (imported, failed int, err error) {
	return importer(sr, o).Import(ctx, report.ASFF(r, extras().Frameworks, sr.Base.Region))
}

// importChange imports one changed finding into Security Hub in its account and region; a finding that passes again
// (or whose resource is gone) is imported archived and resolved, so that it leaves Security Hub's active findings.
func importChange(ctx context.Context, sr *scanResult, o *scanOptions, c watch.Change) error {
	fs := report.ASFF(&report.Report{GeneratedAt: time.Now().UTC(), Findings: []model.Finding{c.Finding}}, extras().Frameworks, sr.Base.Region)
	if len(fs) == 0 {
		return nil
	}
	if watch.Resolved(c) {
		hub.Resolve(&fs[0])
	}
	_, failed, err := importer(sr, o).Import(ctx, fs[:1])
	if err == nil && failed > 0 {
		err = fmt.Errorf("security hub did not import finding %s", aws.ToString(fs[0].Id))
	}
	return err
}
