package collect

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/trailwatch/trailwatch/internal/model"
)

// RoleChangeEvents are the IAM calls that change who may assume a role or what it may do (IAM API reference): the
// events whose time says when a delivery role was last repaired.
var RoleChangeEvents = map[string]bool{
	"CreateRole": true, "PutRolePolicy": true, "DeleteRolePolicy": true, "AttachRolePolicy": true, "DetachRolePolicy": true,
	"UpdateAssumeRolePolicy": true, "PutRolePermissionsBoundary": true, "DeleteRolePermissionsBoundary": true,
}

// TrailLogsEvents are the CloudTrail calls that set an existing trail's CloudWatch Logs log group and role
// (CloudTrail API reference, UpdateTrail: CloudWatchLogsLogGroupArn, CloudWatchLogsRoleArn). CreateTrail takes them
// too, but a trail created since delivers only once logging starts, and StartLoggingTime dates that.
var TrailLogsEvents = []string{"UpdateTrail"}

// TrailLogsChanged reads, in one region's CloudTrail event history between from and to, when each trail's CloudWatch
// Logs settings were last set: the UpdateTrail events (looked up by event name, one lookup for every trail of the
// region) whose request parameters name a log group or role, by the trail's name or ARN as the call
// gave it (requestParameters.name). A failed lookup is the error; the map holds what was found.
func TrailLogsChanged(ctx context.Context, h EventHistoryAPI, from, to time.Time) (map[string]time.Time, *model.CallError) {
	found := map[string]time.Time{}
	for _, name := range TrailLogsEvents {
		in := &cloudtrail.LookupEventsInput{
			LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyEventName, AttributeValue: aws.String(name)}},
			StartTime:        aws.Time(from), EndTime: aws.Time(to), MaxResults: aws.Int32(50),
		}
		p := cloudtrail.NewLookupEventsPaginator(h, in)
		for page := 0; p.HasMorePages() && page < historyPages; page++ {
			out, err := p.NextPage(ctx)
			if err != nil {
				return found, Classify("cloudtrail:LookupEvents", "", err)
			}
			for _, e := range out.Events {
				var rec struct {
					ErrorCode         string `json:"errorCode"`
					RequestParameters struct {
						Name     string `json:"name"`
						LogGroup string `json:"cloudWatchLogsLogGroupArn"`
						Role     string `json:"cloudWatchLogsRoleArn"`
					} `json:"requestParameters"`
				}
				if e.EventTime == nil || json.Unmarshal([]byte(aws.ToString(e.CloudTrailEvent)), &rec) != nil || rec.ErrorCode != "" {
					continue // a failed call changed nothing
				}
				rp := rec.RequestParameters
				if rp.Name == "" || rp.LogGroup == "" && rp.Role == "" {
					continue
				}
				if at := e.EventTime.UTC(); at.After(found[rp.Name]) {
					found[rp.Name] = at
				}
			}
		}
	}
	return found, nil
}

// historyPages bounds one role's lookup: LookupEvents returns at most 50 events a page and is limited to 2 calls a
// second per account and region (CloudTrail quotas), so a role changed more than 150 times within the window is
// judged on the newest 150 events, which hold the latest change.
const historyPages = 3

// RoleChanged reads the latest change to a role's trust or permissions in CloudTrail event history between from and
// to: the region is where the partition records IAM's events (partition.GlobalRegion). Found: its time and event name
// are set on r; nothing found leaves r as it is; a failed lookup sets r.ChangesErr.
func RoleChanged(ctx context.Context, h EventHistoryAPI, r *model.Role, from, to time.Time) {
	in := &cloudtrail.LookupEventsInput{
		LookupAttributes: []types.LookupAttribute{{AttributeKey: types.LookupAttributeKeyResourceName, AttributeValue: aws.String(r.Name)}},
		StartTime:        aws.Time(from), EndTime: aws.Time(to), MaxResults: aws.Int32(50),
	}
	p := cloudtrail.NewLookupEventsPaginator(h, in)
	for page := 0; p.HasMorePages() && page < historyPages; page++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			r.ChangesErr = Classify("cloudtrail:LookupEvents", "", err)
			return
		}
		for _, e := range out.Events {
			if !RoleChangeEvents[aws.ToString(e.EventName)] || e.EventTime == nil {
				continue
			}
			if at := e.EventTime.UTC(); r.ChangedAt == nil || at.After(*r.ChangedAt) {
				r.ChangedAt, r.ChangedBy = &at, aws.ToString(e.EventName)
			}
		}
		if r.ChangedAt != nil {
			return // events come newest first: the first change found is the latest
		}
	}
}
