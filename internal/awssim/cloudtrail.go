package awssim

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"
)

// CloudTrail (awsJson1.1, API 2013-11-01). Shapes: botocore cloudtrail/2013-11-01/service-2.json; rules:
// shared/reference/aws-behaviour.md §3.
func cloudtrailOps() map[string]handler {
	return map[string]handler{
		"ListTrails":          ctListTrails,
		"ListEventDataStores": ctListEventDataStores,
		"GetEventDataStore":   ctGetEventDataStore,
		"ListChannels":        ctListChannels,
		"GetChannel":          ctGetChannel,
		"DescribeTrails":      ctDescribeTrails,
		"GetTrail":            ctGetTrail,
		"GetTrailStatus":      ctGetTrailStatus,
		"GetEventSelectors":   ctGetEventSelectors,
		"UpdateTrail":         ctUpdateTrail,
		"CreateTrail":         ctCreateTrail,
		"DeleteTrail":         ctDeleteTrail,
		"StartLogging":        ctStartLogging,
		"StopLogging":         ctStopLogging,
		"ListTags":            ctListTags,
		"LookupEvents":        ctLookupEvents,
	}
}

// trailObject renders a Trail; string members are present only when they have a value (service-2.json: "Trail
// objects with string values are only returned if values for the objects exist").
func trailObject(t *trail, withHome bool) map[string]any {
	m := map[string]any{
		"Name": t.name, "S3BucketName": t.s3Bucket, "IncludeGlobalServiceEvents": t.globalEvents,
		"IsMultiRegionTrail": t.multi, "TrailARN": t.arn, "LogFileValidationEnabled": t.validation,
		"IsOrganizationTrail": t.org,
	}
	if t.s3Prefix != "" {
		m["S3KeyPrefix"] = t.s3Prefix
	}
	if t.kmsKeyID != "" {
		m["KmsKeyId"] = t.kmsKeyID
	}
	if withHome {
		m["HomeRegion"] = t.home
		m["HasCustomEventSelectors"] = t.custom
		m["HasInsightSelectors"] = false
	}
	if t.logGroupArn != "" {
		m["CloudWatchLogsLogGroupArn"] = t.logGroupArn
	}
	if t.roleArn != "" {
		m["CloudWatchLogsRoleArn"] = t.roleArn
	}
	return m
}

func ctListTrails(s *Server, c *call) (any, error) {
	// ListTrails "lists trails that are in the current account": by default the simulator returns the account's own
	// trails in every region and the organization trails it can see; whether AWS includes other regions'
	// single-region trails is not documented ([U], aws-behaviour.md §3.2), so the scenario's list_trails_scope can
	// narrow it to moto's reading ("region") or further ("home_region").
	w := s.w
	var all []*trail
	switch s.sc.Assumptions.listTrailsScope() {
	case "region":
		all = append(all, w.visibleTrails(c.acct, c.region, true)...)
	default:
		for _, t := range c.acct.trails {
			all = append(all, t)
		}
		if w.org != nil && c.acct.id != w.org.ManagementAccount {
			for _, t := range w.accounts[w.org.ManagementAccount].trails {
				if t.org {
					all = append(all, t)
				}
			}
		}
		scope := s.sc.Assumptions.listTrailsScope()
		if scope == "home_region" || scope == "default_regions" {
			kept := all[:0]
			for _, t := range all {
				if t.home == c.region || (scope == "default_regions" && !w.part.IsOptIn(t.home)) {
					kept = append(kept, t)
				}
			}
			all = kept
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].arn < all[j].arn })
	start, err := pageStart(c.str("NextToken"), c.svc)
	if err != nil {
		return nil, err
	}
	const pageSize = 10
	var list []map[string]any
	end := min(start+pageSize, len(all))
	for _, t := range all[min(start, len(all)):end] {
		list = append(list, map[string]any{"TrailARN": t.arn, "Name": t.name, "HomeRegion": t.home})
	}
	out := map[string]any{"Trails": nonNil(list)}
	if end < len(all) {
		out["NextToken"] = pageToken(end)
	}
	return out, nil
}

func ctDescribeTrails(s *Server, c *call) (any, error) {
	// includeShadowTrails defaults to true (service-2.json); names match only trails homed in the current region and
	// owned by the caller, ARNs any trail the caller sees; no match is an empty list, not an error.
	shadows := true
	if c.has("includeShadowTrails") {
		if err := c.decode("includeShadowTrails", &shadows); err != nil {
			return nil, err
		}
	}
	var names []string
	if err := c.decode("trailNameList", &names); err != nil {
		return nil, err
	}
	visible := s.w.visibleTrails(c.acct, c.region, shadows)
	var list []map[string]any
	seen := map[string]bool{}
	for _, t := range visible {
		if len(names) > 0 && !nameListMatches(names, t, c) {
			continue
		}
		seen[t.arn] = true
		list = append(list, trailObject(t, true))
	}
	// An ARN reaches the trail in whatever region it is homed (DescribeTrails API reference: "If you specify a trail
	// ARN, ... the trail's information is returned regardless of the region"), a single-region trail homed elsewhere
	// included: the caller's own trails.
	for _, n := range names {
		if t := c.acct.trails[n]; t != nil && !seen[n] {
			seen[n] = true
			list = append(list, trailObject(t, true))
		}
	}
	return map[string]any{"trailList": nonNil(list)}, nil
}

func nameListMatches(names []string, t *trail, c *call) bool {
	for _, n := range names {
		if n == t.arn || (n == t.name && t.home == c.region && t.owner == c.acct.id) {
			return true
		}
	}
	return false
}

// resolveTrail finds the trail a Name/TrailName parameter names, as CloudTrail does: a bare name resolves only to the
// caller's trail homed in the current region; an ARN resolves to any trail the caller can see here (its own, a
// shadow copy, or the organization's). Messages are those seen in the wild (aws-behaviour.md §3.5).
func (s *Server) resolveTrail(c *call, ident string) (*trail, error) {
	w := s.w
	if ident == "" {
		return nil, errf(400, "InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	}
	if strings.HasPrefix(ident, "arn:") {
		parts := strings.SplitN(ident, ":", 6)
		if len(parts) != 6 || parts[2] != "cloudtrail" || !strings.HasPrefix(parts[5], "trail/") || parts[1] != w.part.Name {
			return nil, errf(400, "CloudTrailARNInvalidException", "Invalid ARN: %s", ident)
		}
		for _, t := range w.visibleTrails(c.acct, c.region, true) {
			if t.arn == ident {
				return t, nil
			}
		}
		if parts[4] != c.acct.id {
			return nil, errf(400, "CloudTrailARNInvalidException", "AccountID in ARN is wrong, you can only access resources with AccountID %s.", c.acct.id)
		}
		return nil, errf(400, "TrailNotFoundException", "Unknown trail: %s for the user: %s", ident, c.acct.id)
	}
	if !trailNameRe.MatchString(ident) {
		return nil, errf(400, "InvalidTrailNameException", "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).")
	}
	t := c.acct.trails[w.trailARN(c.region, c.acct.id, ident)]
	if t == nil {
		return nil, errf(400, "TrailNotFoundException", "Unknown trail: %s for the user: %s", w.trailARN(c.region, c.acct.id, ident), c.acct.id)
	}
	return t, nil
}

func ctGetTrail(s *Server, c *call) (any, error) {
	t, err := s.resolveTrail(c, c.str("Name"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"Trail": trailObject(t, true)}, nil
}

func ctGetTrailStatus(s *Server, c *call) (any, error) {
	t, err := s.resolveTrail(c, c.str("Name"))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"IsLogging": t.logging}
	if !t.startLogging.IsZero() {
		out["StartLoggingTime"] = epochSeconds(t.startLogging)
		out["TimeLoggingStarted"] = isoTime(t.startLogging)
	}
	if !t.stopLogging.IsZero() {
		out["StopLoggingTime"] = epochSeconds(t.stopLogging)
		out["TimeLoggingStopped"] = isoTime(t.stopLogging)
	}
	// S3 delivery is not modelled: a logging trail delivers to its bucket every 5 minutes.
	if t.logging {
		out["LatestDeliveryTime"] = epochSeconds(c.now.Truncate(deliveryPeriod))
		out["LatestDigestDeliveryTime"] = epochSeconds(c.now.Truncate(time.Hour))
	}
	last, deliveryErr := s.w.status(t, c.now)
	if !last.IsZero() {
		out["LatestCloudWatchLogsDeliveryTime"] = epochSeconds(last)
	}
	// A member account reading an organization trail's status by ARN gets no error fields
	// (aws-samples/service-screener-v2#201, #204): the error is visible only in the management account and to the
	// delegated administrator.
	memberView := t.owner != c.acct.id && c.acct.id != s.w.orgDelegatedAdmin() && !s.sc.Assumptions.MemberSeesOrgDeliveryError
	if deliveryErr != "" && !memberView {
		out["LatestCloudWatchLogsDeliveryError"] = deliveryErr
	}
	return out, nil
}

func (w *world) orgDelegatedAdmin() string {
	if w.org == nil {
		return ""
	}
	return w.org.DelegatedAdmin
}

func ctGetEventSelectors(s *Server, c *call) (any, error) {
	t, err := s.resolveTrail(c, c.str("TrailName"))
	if err != nil {
		return nil, err
	}
	sel := map[string]any{"ReadWriteType": "All", "IncludeManagementEvents": t.mgmtEvents,
		"DataResources": []any{}, "ExcludeManagementEventSources": []any{}}
	if !t.mgmtEvents {
		sel["DataResources"] = []any{map[string]any{"Type": "AWS::S3::Object", "Values": []string{"arn:" + s.w.part.Name + ":s3"}}}
	}
	return map[string]any{"TrailARN": t.arn, "EventSelectors": []any{sel}}, nil
}

// writableTrail resolves a trail for a write: only in its home region ("UpdateTrail must be called from the Region in
// which the trail was created; otherwise, an InvalidHomeRegionException is thrown", service-2.json), and an
// organization trail only by the management account or the delegated administrator (CTUG creating-trail-organization:
// members cannot "change the organization trail in any way"; the exception they get is not documented, [U]).
func (s *Server) writableTrail(c *call, ident string) (*trail, error) {
	t, err := s.resolveTrail(c, ident)
	if err != nil {
		return nil, err
	}
	if t.owner != c.acct.id && !(t.org && c.acct.id == s.w.orgDelegatedAdmin()) {
		return nil, errf(400, "NotOrganizationMasterAccountException", "The request was rejected because this account %s is not the management account or a delegated administrator of the organization that owns %s.", c.acct.id, t.arn)
	}
	if t.home != c.region {
		return nil, errf(400, "InvalidHomeRegionException", "This operation must be called from the trail's home region (%s).", t.home)
	}
	return t, nil
}

// validateIntegration checks the CloudWatch Logs settings of UpdateTrail/CreateTrail for trail owner and home region,
// with the exception names and messages seen in the wild (aws-behaviour.md §3.7).
func (s *Server) validateIntegration(owner *account, home, groupARN, roleARN string, now time.Time) error {
	w := s.w
	if groupARN == "" && roleARN == "" {
		return nil
	}
	if groupARN == "" {
		return errf(400, "InvalidParameterCombinationException", "You must specify a log group as well as a role ARN.")
	}
	if roleARN == "" {
		return errf(400, "InvalidCloudWatchLogsRoleArnException", "You must specify a role ARN as well as a log group")
	}
	name, region, acct, ok := parseLogGroupARN(groupARN)
	if !ok || !strings.HasSuffix(groupARN, ":*") {
		return errf(400, "InvalidCloudWatchLogsLogGroupArnException", "Check the log group ARN: CloudTrail can't validate it.")
	}
	if acct != owner.id || region != home || owner.logGroups[region+"\x00"+name] == nil {
		return errf(400, "InvalidCloudWatchLogsLogGroupArnException", "CloudTrail cannot validate the specified log group ARN.")
	}
	r := w.roleByARN(owner, roleARN)
	if r == nil {
		return errf(400, "InvalidCloudWatchLogsRoleArnException", "Access denied. Check the trust relationships for your role.")
	}
	probe := &trail{owner: owner.id, home: home, logging: true, logGroupArn: groupARN, roleArn: roleARN}
	// A role created or changed moments ago fails validation until IAM propagates it, with the errors
	// terraform-provider-aws retries (aws-behaviour.md §3.7); the delay is the scenario's iam_propagation_delay.
	if ready := w.propagatedAt(probe); now.Before(ready) {
		if r.created.Equal(r.changed) {
			return errf(400, "InvalidCloudWatchLogsRoleArnException", "Access denied. Check the trust relationships for your role.")
		}
		return errf(400, "InvalidCloudWatchLogsLogGroupArnException", "Access denied. Check the permissions for your role.")
	}
	if ok, why := w.health(probe); !ok {
		if why == errRoleTrust {
			return errf(400, "InvalidCloudWatchLogsRoleArnException", "Access denied. Check the trust relationships for your role.")
		}
		return errf(400, "InvalidCloudWatchLogsLogGroupArnException", "Access denied. Check the permissions for your role.")
	}
	return nil
}

func ctUpdateTrail(s *Server, c *call) (any, error) {
	t, err := s.writableTrail(c, c.str("Name"))
	if err != nil {
		return nil, err
	}
	group, role := t.logGroupArn, t.roleArn
	// Absent keeps the current value; "" clears it (CTUG stop-cloudtrail-from-sending-events-to-cloudwatch-logs).
	if c.has("CloudWatchLogsLogGroupArn") {
		group = c.str("CloudWatchLogsLogGroupArn")
	}
	if c.has("CloudWatchLogsRoleArn") {
		role = c.str("CloudWatchLogsRoleArn")
	}
	owner := s.w.accounts[t.owner]
	if err := s.validateIntegration(owner, t.home, group, role, c.now); err != nil {
		return nil, err
	}
	if v := c.str("S3BucketName"); v != "" {
		t.s3Bucket = v
	}
	if c.has("IsMultiRegionTrail") {
		_ = c.decode("IsMultiRegionTrail", &t.multi)
	}
	if c.has("IsOrganizationTrail") {
		var isOrg bool
		_ = c.decode("IsOrganizationTrail", &isOrg)
		if isOrg && !t.org {
			// Only the management account converts a trail to an organization trail (CTUG
			// creating-an-organizational-trail-in-the-console: "convert an existing trail ... in the management account").
			switch {
			case s.w.org == nil:
				return nil, errf(400, "OrganizationsNotInUseException", "This account is not a member of an organization.")
			case c.acct.id != s.w.org.ManagementAccount:
				return nil, errf(400, "NotOrganizationMasterAccountException", "The request was rejected because this account is not the management account of the organization.")
			}
		}
		t.org = isOrg
	}
	applyTrailSettings(c, t)
	if group != t.logGroupArn || role != t.roleArn {
		s.w.reset(t, c.now)
		t.logGroupArn, t.roleArn = group, role
	}
	s.w.reconcile(c.now)
	out := trailObject(t, false)
	return out, nil
}

// applyTrailSettings keeps the optional settings CreateTrail and UpdateTrail take, as given.
func applyTrailSettings(c *call, t *trail) {
	if c.has("IncludeGlobalServiceEvents") {
		_ = c.decode("IncludeGlobalServiceEvents", &t.globalEvents)
	}
	if c.has("EnableLogFileValidation") {
		_ = c.decode("EnableLogFileValidation", &t.validation)
	}
	if c.has("S3KeyPrefix") {
		t.s3Prefix = c.str("S3KeyPrefix")
	}
	if c.has("KmsKeyId") {
		t.kmsKeyID = c.str("KmsKeyId")
	}
}

func ctCreateTrail(s *Server, c *call) (any, error) {
	name, bucket := c.str("Name"), c.str("S3BucketName")
	if !trailNameRe.MatchString(name) || strings.Contains(name, "..") {
		return nil, errf(400, "InvalidTrailNameException", "Trail name must starts with a letter or number, be 3-128 characters and contain only letters, numbers, periods, underscores and dashes.")
	}
	if bucket == "" {
		return nil, errf(400, "InvalidS3BucketNameException", "S3 bucket name is required.")
	}
	var isOrg bool
	_ = c.decode("IsOrganizationTrail", &isOrg)
	owner := c.acct
	if isOrg {
		if !s.w.isOrgReader(c.acct.id) {
			if s.w.org == nil {
				return nil, errf(400, "OrganizationsNotInUseException", "This account is not a member of an organization.")
			}
			return nil, errf(400, "NotOrganizationMasterAccountException", "The request was rejected because this account is not the management account or a delegated administrator of the organization.")
		}
		// An organization trail created by the delegated administrator is owned by the management account
		// (CTUG cloudtrail-delegated-administrator).
		owner = s.w.accounts[s.w.org.ManagementAccount]
	}
	arn := s.w.trailARN(c.region, owner.id, name)
	if owner.trails[arn] != nil {
		return nil, errf(400, "TrailAlreadyExistsException", "Trail %s already exists for customer: %s", name, owner.id)
	}
	group, role := c.str("CloudWatchLogsLogGroupArn"), c.str("CloudWatchLogsRoleArn")
	if err := s.validateIntegration(owner, c.region, group, role, c.now); err != nil {
		return nil, err
	}
	t := &trail{name: name, home: c.region, owner: owner.id, arn: arn, org: isOrg, mgmtEvents: true, s3Bucket: bucket,
		logGroupArn: group, roleArn: role, created: c.now, tags: map[string]string{}}
	_ = c.decode("IsMultiRegionTrail", &t.multi)
	t.globalEvents = true
	applyTrailSettings(c, t)
	var tags []struct{ Key, Value string }
	_ = c.decode("TagsList", &tags)
	for _, kv := range tags {
		t.tags[kv.Key] = kv.Value
	}
	owner.trails[arn] = t
	// A new trail does not log until StartLogging (CreateTrail API reference).
	t.lastError = ""
	s.w.reconcile(c.now)
	return trailObject(t, false), nil
}

func ctDeleteTrail(s *Server, c *call) (any, error) {
	t, err := s.writableTrail(c, c.str("Name"))
	if err != nil {
		return nil, err
	}
	delete(s.w.accounts[t.owner].trails, t.arn)
	return map[string]any{}, nil
}

func ctStartLogging(s *Server, c *call) (any, error) {
	t, err := s.writableTrail(c, c.str("Name"))
	if err != nil {
		return nil, err
	}
	if !t.logging {
		s.w.reset(t, c.now)
		t.logging, t.startLogging = true, c.now
	}
	s.w.reconcile(c.now)
	return map[string]any{}, nil
}

func ctStopLogging(s *Server, c *call) (any, error) {
	t, err := s.writableTrail(c, c.str("Name"))
	if err != nil {
		return nil, err
	}
	if t.logging {
		t.logging, t.stopLogging = false, c.now
	}
	s.w.reconcile(c.now)
	return map[string]any{}, nil
}

func ctListTags(s *Server, c *call) (any, error) {
	var ids []string
	if err := c.decode("ResourceIdList", &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > 20 {
		return nil, errf(400, "InvalidParameterException", "ResourceIdList must contain 1 to 20 ARNs.")
	}
	var out []map[string]any
	for _, id := range ids {
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[2] != "cloudtrail" {
			return nil, errf(400, "CloudTrailARNInvalidException", "Invalid ARN: %s", id)
		}
		// ListTags works only on the caller's own resources in the current region (aws-behaviour.md §3.9).
		if parts[4] != c.acct.id {
			return nil, errf(400, "CloudTrailARNInvalidException", "AccountID in ARN is wrong, you can only access resources with AccountID %s.", c.acct.id)
		}
		if parts[3] != c.region {
			return nil, errf(400, "CloudTrailARNInvalidException", "Region in ARN is wrong, you can only access resources in region %s.", c.region)
		}
		t := c.acct.trails[id]
		if t == nil {
			return nil, errf(400, "ResourceNotFoundException", "Resource %s not found.", id)
		}
		tags := []map[string]string{}
		keys := make([]string, 0, len(t.tags))
		for k := range t.tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tags = append(tags, map[string]string{"Key": k, "Value": t.tags[k]})
		}
		out = append(out, map[string]any{"ResourceId": id, "TagsList": tags})
	}
	return map[string]any{"ResourceTagList": out}, nil
}

// Pagination tokens are opaque to clients: base64 of an offset.
func pageToken(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("sim:%d", n)))
}

func pageStart(token string, svc *service) (int, error) {
	if token == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	var n int
	if err == nil {
		_, err = fmt.Sscanf(string(b), "sim:%d", &n)
	}
	if err != nil || n < 0 {
		// CloudTrail's model has InvalidNextTokenException for a bad NextToken (InvalidTokenException is reserved).
		code := "InvalidNextTokenException"
		switch {
		case svc.name == "logs":
			code = "InvalidParameterException"
		case svc.name == "organizations":
			return 0, orgInvalidInput("INVALID_PAGINATION_TOKEN", "Invalid pagination token.")
		case !svc.json:
			code = "InvalidInput"
		}
		return 0, errf(400, code, "Invalid pagination token.")
	}
	return n, nil
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
