package controls

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/delivery"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Reason codes of infrastructure-as-code checks (docs/controls.md).
const (
	LogGroupARNInvalid  = "LOG_GROUP_ARN_INVALID"
	LogGroupARNSuffix   = "LOG_GROUP_ARN_SUFFIX"
	LogGroupElsewhere   = "LOG_GROUP_ELSEWHERE"
	ValueUnknown        = "VALUE_UNKNOWN"
	NotInstantiated     = "NOT_INSTANTIATED"
	SuppressionNoReason = "SUPPRESSION_WITHOUT_REASON"
	SuppressionExpired  = "SUPPRESSION_EXPIRED"
	TemplateInvalid     = "TEMPLATE_INVALID"
)

// Placeholders adapters put in ARNs for a partition, region or account known only at deployment.
const (
	PartitionToken = "${partition}"
	RegionToken    = "${region}"
	AccountToken   = "${account}"
)

// IaCSettings tune infrastructure-as-code checks.
type IaCSettings struct {
	MinRetentionDays int
	// Strict turns UNKNOWN into FAIL.
	Strict bool
	// Now decides whether a trailwatch suppression has expired.
	Now time.Time
	// TelemetryOf is the CloudWatch telemetry the unit that declares a trail declares (nil: none), so that a trail
	// without CloudWatch Logs is judged as live: captured by a declared rule, it needs none (issue 26).
	TelemetryOf func(*model.Trail) *model.Telemetry
}

// peerRules are the rule ids of other tools for this control; their inline suppressions are honoured.
var peerRules = map[string]bool{
	"CKV2_AWS_10": true, "AVD-AWS-0162": true, "AWS-0162": true, "aws-cloudtrail-ensure-cloudwatch-integration": true,
	"CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED": true, "cloud_trail_cloud_watch_logs_enabled": true, IntegrationID: true,
}

// EvaluateIaC judges trails declared in infrastructure as code with cloudtrail-cloudwatch-integration: the same
// control and reason codes as the live scan, with what can be known before deployment. A missing or impossible log
// group ARN, or one without a role, FAILs (CloudTrail rejects it or it delivers nothing); links that will deploy but not
// deliver, or fail to deploy, WARN; an unknown value is UNKNOWN with the chain that made it unknown (FAIL with
// Strict), never a failure.
func EvaluateIaC(cat *Catalog, trails []*model.Trail, s IaCSettings) []model.Finding {
	var out []model.Finding
	for _, t := range trails {
		out = append(out, evaluateIaCTrail(cat, t, s))
	}
	return out
}

// iacTelemetry judges a trail without CloudWatch Logs against the telemetry rules its unit declares, by the live
// rule's meaning: a rule for AWS::CloudTrail to cloud-watch-logs whose selectors keep every management event, read and
// write (the one selector rule), applying wherever the trail captures (every region for a multi-region trail:
// all_regions; the deployment's region for a single-region one). It reports whether it decided the verdict.
func iacTelemetry(v *verdict, t *model.Trail, tm *model.Telemetry) bool {
	if tm == nil || t.Unknown.Condition != "" {
		return false
	}
	var unknown, rejected []string
	for _, r := range tm.Rules {
		where := "telemetry rule " + r.ARN
		if r.Organization {
			where = "organization " + where
		}
		if r.Source != nil {
			where = fmt.Sprintf("%s (%s:%d)", where, r.Source.File, r.Source.Line)
		}
		// Where the rule applies: every region with all_regions; else its home region and the regions it lists
		// (field trial: a rule of another region was taken to capture a single-region trail).
		covers := r.AllRegions || !t.MultiRegion && slices.Contains(r.Regions, t.HomeRegion)
		switch problem := RuleProblem(r, ""); {
		case problem != "" && r.Unknown == "":
			rejected = append(rejected, where+": "+problem)
			continue
		case r.ReadWriteType != "All" && r.Unknown == "":
			rejected = append(rejected, where+": its event selectors keep only "+KeptEvents(r.ReadWriteType))
			continue
		}
		if r.Unknown != "" {
			unknown = append(unknown, where+": "+r.Unknown)
			continue
		}
		if t.MultiRegion && r.PerStack {
			v.add(model.StatusUnknown, ValueUnknown, "The trail has no CloudWatch Logs log group; %s captures its events only in the regions its stack is deployed in (AWS::ObservabilityAdmin::TelemetryRule has no AllRegions): deployed in every region (a StackSet), the trail needs none.", where)
			return true
		}
		if !covers && !r.PerStack {
			rejected = append(rejected, where+": it does not apply in every region the trail captures (all_regions, or the trail's region among its regions)")
			continue
		}
		v.add(model.StatusPass, CapturedByTelemetry, "The trail has no CloudWatch Logs log group, and needs none: %s sends the account's CloudTrail management events to CloudWatch Logs (group %s).", where, model.TelemetryLogGroup)
		v.note("AWS Config's cloud-trail-cloud-watch-logs-enabled and Security Hub CloudTrail.5 still fail this trail once deployed (they look at the trail only).")
		if r.Organization && tm.OrgStatus != "RUNNING" {
			v.note("The rule needs CloudWatch telemetry evaluation in the organization, which this code does not declare (aws_observabilityadmin_telemetry_evaluation_for_organization; no CloudFormation resource starts it): unless it was started elsewhere (StartTelemetryEvaluationForOrganization), the rule fails to create.")
		} else if !r.Organization && tm.Status != "RUNNING" {
			if r.PerStack {
				v.note("The rule needs CloudWatch telemetry evaluation in the account, which no CloudFormation resource starts: unless it was started (StartTelemetryEvaluation), the rule fails to create.")
			} else {
				v.note("The rule needs CloudWatch telemetry evaluation in the account, which this code does not declare (aws_observabilityadmin_telemetry_evaluation): unless it was started elsewhere, the rule fails to create.")
			}
		}
		return true
	}
	if len(unknown) > 0 {
		v.add(model.StatusUnknown, ValueUnknown, "The trail has no CloudWatch Logs log group; whether a telemetry rule captures its events is known only at deployment: %s.", strings.Join(unknown, "; "))
		return true
	}
	for _, why := range rejected {
		v.note("Not captured by %s.", why)
	}
	return false
}

// arnRe matches a CloudWatch Logs log group ARN, accepting the placeholders adapters use for a region or account
// known only at deployment.
var arnRe = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn|\$\{partition\}):logs:([a-z0-9-]+|\$\{region\}):([0-9]{12}|\$\{account\}):log-group:((?:[\.\-_/#A-Za-z0-9]|\$\{[^}:]+\})+)((?::\*)*)$`)

func evaluateIaCTrail(cat *Catalog, t *model.Trail, s IaCSettings) model.Finding {
	v := &verdict{notes: append([]string(nil), t.Notes...)}
	if why := t.Unknown.Instances; why != "" {
		v.note("%s", why)
	}
	if why := t.Unknown.Condition; why != "" && !t.NotInstantiated {
		v.add(model.StatusUnknown, ValueUnknown, "Whether the trail is created is known only at deployment: %s.", why)
	}
	switch {
	case t.NotInstantiated:
		v.add(model.StatusSkipped, NotInstantiated, "The resource is not created (count = 0, an empty for_each, or a false condition).")
		return iacFinding(cat, t, v)
	case t.Unknown.Module != "":
		v.add(model.StatusUnknown, ValueUnknown, "The trail is declared in a module that was not read: %s.", t.Unknown.Module)
	case t.Unknown.LogGroupARN != "":
		v.add(model.StatusUnknown, ValueUnknown, "The log group ARN cannot be known before deployment: %s.", t.Unknown.LogGroupARN)
	case t.LogGroupARN == "" && t.RoleARN != "":
		v.add(iacStatus(NotIntegrated), NotIntegrated, "The trail has a CloudWatch Logs role but no log group ARN; CloudTrail rejects a role without a log group.")
	case t.LogGroupARN == "" && s.TelemetryOf != nil && iacTelemetry(v, t, s.TelemetryOf(t)):
		// Captured by a telemetry rule the same code declares (iacTelemetry said how).
	case t.LogGroupARN == "":
		v.add(iacStatus(NotIntegrated), NotIntegrated, "The trail has no CloudWatch Logs log group ARN (absent, empty or null).")
	default:
		iacPipeline(t, v, s)
	}
	switch {
	case t.RoleARN == "" && t.Unknown.RoleARN != "" && !t.NotInstantiated:
		v.add(model.StatusUnknown, ValueUnknown, "The role ARN cannot be known before deployment: %s.", t.Unknown.RoleARN)
	case t.LogGroupARN != "" && t.RoleARN == "":
		v.add(iacStatus(RoleMissing), RoleMissing, "The trail has a log group but no CloudWatch Logs role ARN; CloudTrail rejects it (\"You must specify a role ARN as well as a log group\").")
	}
	if v.status == "" {
		v.status = model.StatusPass
		v.reasons = append(v.reasons, model.Reason{Code: "CONFIGURED", Message: "The trail names a valid log group ARN and a role that trusts CloudTrail and may write to it."})
	}
	if s.Strict && v.status == model.StatusUnknown {
		v.status = model.StatusFail
		v.note("--strict: an unknown value fails.")
	}
	return iacFinding(cat, t, v)
}

// iacPipeline checks a known log group ARN and what the IaC says of the log group and the role.
func iacPipeline(t *model.Trail, v *verdict, s IaCSettings) {
	m := arnRe.FindStringSubmatch(t.LogGroupARN)
	if m == nil {
		v.add(iacStatus(LogGroupARNInvalid), LogGroupARNInvalid, "%q is not a CloudWatch Logs log group ARN (arn:<partition>:logs:<region>:<account>:log-group:<name>:*).", t.LogGroupARN)
		return
	}
	part, region, acct, suffix := m[1], m[2], m[3], m[5]
	switch suffix {
	case ":*":
	case "":
		v.add(iacStatus(LogGroupARNSuffix), LogGroupARNSuffix, "The log group ARN does not end in \":*\"; CloudTrail rejects it at deployment (InvalidCloudWatchLogsLogGroupArnException: \"Check the log group ARN: CloudTrail can't validate it.\"). A Terraform aws_cloudwatch_log_group's arn has no \":*\" since provider v3.")
	default:
		v.add(iacStatus(LogGroupARNSuffix), LogGroupARNSuffix, "The log group ARN ends in %q; CloudFormation's !GetAtt LogGroup.Arn already ends in \":*\", so appending another breaks it.", suffix)
	}
	trailPart, trailRegion, trailAcct := arnParts(t.ARN)
	var elsewhere []string
	if known(part) && known(trailPart) && part != trailPart {
		elsewhere = append(elsewhere, "partition "+part+" (trail: "+trailPart+")")
	}
	if known(region) && known(trailRegion) && region != trailRegion {
		elsewhere = append(elsewhere, "region "+region+" (trail: "+trailRegion+")")
	}
	if known(acct) && known(trailAcct) && acct != trailAcct {
		elsewhere = append(elsewhere, "account "+acct+" (trail: "+trailAcct+")")
	}
	if len(elsewhere) > 0 {
		v.add(iacStatus(LogGroupElsewhere), LogGroupElsewhere, "The log group is in another %s; CloudTrail needs it in the trail's own account and home region.", strings.Join(elsewhere, ", "))
	}
	if lg := t.LogGroup; lg != nil && lg.RetentionUnknown != "" {
		v.add(model.StatusUnknown, ValueUnknown, "Log group %s's retention is known only at deployment: %s.", lg.Name, lg.RetentionUnknown)
	} else if lg != nil && lg.RetentionDays != nil && *lg.RetentionDays < s.MinRetentionDays {
		v.add(iacStatus(RetentionTooShort), RetentionTooShort, "Log group %s keeps events %d days, less than the %d-day minimum.", lg.Name, *lg.RetentionDays, s.MinRetentionDays)
	}
	if why := t.Unknown.Role; why != "" {
		// A role whose trust or permissions cannot be evaluated is never a PASS: whether it delivers is unknown.
		v.add(model.StatusUnknown, ValueUnknown, "Whether role %s trusts CloudTrail and may write to the log group cannot be known before deployment: %s.", t.RoleARN, why)
		return
	}
	r := t.Role
	if r == nil {
		if t.RoleARN != "" {
			v.note("The role is not declared here; its trust and permissions are checked after deployment by trailwatch scan.")
		}
		return
	}
	g := awsarn.LogGroup{Partition: part, Region: region, Account: acct, Name: m[4]}
	dt := delivery.Trail{Owner: acct, HomeRegion: region, Organization: t.Organization}
	if t.Organization {
		dt.OrgID = orgStreamProbe(r)
	}
	// What only deployment decides: a refused write may be allowed once the placeholders take values.
	undecided := func(c delivery.Check) string {
		if strings.Contains(g.StreamARN(""), "${") {
			// The log group's ARN still holds a placeholder (a partition, region or account known only at
			// deployment): if some value the role's policies name for it lets the role write, delivery depends on
			// where the trail is deployed. That is unknown here, never a claim that delivery fails.
			if sub, ok := writableUnder(g, delivery.Streams(dt), r); ok {
				return fmt.Sprintf("Role %s may write to the log group only if the trail is deployed with %s: the log group's ARN holds a placeholder known only at deployment.", r.Name, sub)
			}
		}
		for _, p := range r.Policies {
			if p.Placeholders != "" {
				// Placeholders match only themselves: a write refused under them may be allowed once they take values.
				return fmt.Sprintf("Whether role %s may %s cannot be known before deployment: its policy %s holds a value known only then (%s).", r.Name, delivery.Join(c.Missing), p.Name, p.Placeholders)
			}
		}
		return ""
	}
	name := t.RoleARN
	if name == "" {
		name = r.Name
	}
	roleVerdict(v, iacStatus, name, sameDeployment(r, g), g, dt, undecided)
}

// sameDeployment is the role with the placeholders of its policies (${partition}, ${region}, ${account}: what the
// deployment decides) set to the values the log group's ARN states, where it states them: one root module or template
// deploys both, so they stand for the same values. A policy naming !Sub "${LG.Arn}" beside a trail that names the
// group as "arn:aws:logs:${AWS::Region}:..." grants that group (field trial: ROLE_CANNOT_WRITE, because the literal
// "aws" did not match the policy's "${partition}").
func sameDeployment(r *model.Role, g awsarn.LogGroup) *model.Role {
	var pairs []string
	for tok, v := range map[string]string{"${partition}": g.Partition, "${region}": g.Region, "${account}": g.Account} {
		if known(v) {
			pairs = append(pairs, tok, v)
		}
	}
	if len(pairs) == 0 {
		return r
	}
	rep := strings.NewReplacer(pairs...)
	rc := *r
	rc.Policies = make([]model.PolicyDoc, len(r.Policies))
	for i, p := range r.Policies {
		p.Document = rep.Replace(p.Document)
		rc.Policies[i] = p
	}
	return &rc
}

var policyStreamRegionRe = regexp.MustCompile(`_CloudTrail_([a-z]{2}(?:-[a-z]+)+-[0-9])`)

// policyStreamAccountRe finds the account a stream name carries (<account>_CloudTrail_<region>, the form AWS
// documents in "CloudWatch log group and log stream naming for CloudTrail").
var policyStreamAccountRe = regexp.MustCompile(`([0-9]{12})_CloudTrail_`)

var policyLogsARNRe = regexp.MustCompile(`arn:(\$\{[a-z]+\}|[a-z-]+|\*):logs:(\$\{[a-z]+\}|[a-z0-9-]+|\*):(\$\{[a-z]+\}|[0-9]{12}|\*):log-group:`)

// writableUnder tries, for each placeholder in base, the concrete values the role's policies name at that position of
// a logs ARN; it returns the first substitution under which every write is allowed.
func writableUnder(g awsarn.LogGroup, streams []string, r *model.Role) (string, bool) {
	parts, regions, accounts := []string{PartitionToken}, []string{RegionToken}, []string{AccountToken}
	for _, p := range r.Policies {
		for _, m := range policyLogsARNRe.FindAllStringSubmatch(p.Document, -1) {
			parts, regions, accounts = append(parts, m[1]), append(regions, m[2]), append(accounts, m[3])
		}
		// A stream name carries the trail's region too (<account>_CloudTrail_<region>): a policy may name the
		// region only there.
		for _, m := range policyStreamRegionRe.FindAllStringSubmatch(p.Document, -1) {
			regions = append(regions, m[1])
		}
		// And its account: a policy may name the account only there (the group by a reference whose account is
		// known only at deployment, the streams as the console writes them).
		for _, m := range policyStreamAccountRe.FindAllStringSubmatch(p.Document, -1) {
			accounts = append(accounts, m[1])
		}
	}
	seen := map[string]bool{}
	for _, pa := range parts {
		for _, re := range regions {
			for _, ac := range accounts {
				if key := pa + " " + re + " " + ac; seen[key] {
					continue
				} else {
					seen[key] = true
				}
				// A placeholder means the same deployment value in the trail's ARNs and in the role's policies.
				rep := strings.NewReplacer(PartitionToken, pa, RegionToken, re, AccountToken, ac)
				sub := awsarn.LogGroup{Partition: rep.Replace(g.Partition), Region: rep.Replace(g.Region), Account: rep.Replace(g.Account), Name: g.Name}
				var subStreams []string
				for _, st := range streams {
					subStreams = append(subStreams, rep.Replace(st))
				}
				role := &model.Role{}
				for _, p := range r.Policies {
					role.Policies = append(role.Policies, model.PolicyDoc{Document: rep.Replace(p.Document)})
				}
				if missing, _, _ := delivery.MayWrite(delivery.Documents(role), sub, subStreams); len(missing) == 0 {
					var said []string
					for tok, val := range map[string]string{"partition": pa, "region": re, "account": ac} {
						if val != "${"+tok+"}" && val != "*" && strings.Contains(g.StreamARN(""), "${"+tok+"}") {
							said = append(said, tok+" "+val)
						}
					}
					sort.Strings(said)
					return strings.Join(said, ", "), true
				}
			}
		}
	}
	return "", false
}

var orgStreamRe = regexp.MustCompile(`log-stream:(o-[a-z0-9]{10,32})_`)

// orgStreamProbe names an o-<org id> stream prefix to test: the organization id the role's policies name, or a
// placeholder that only a wildcard matches.
func orgStreamProbe(r *model.Role) string {
	for _, p := range r.Policies {
		if m := orgStreamRe.FindStringSubmatch(p.Document); m != nil {
			return m[1]
		}
	}
	return "o-exampleorgid"
}

func known(s string) bool { return s != "" && !strings.HasPrefix(s, "${") }

func arnParts(s string) (part, region, acct string) {
	a, ok := awsarn.Parse(s)
	if !ok {
		return "", "", ""
	}
	return a.Partition, a.Region, a.AccountID
}

func iacFinding(cat *Catalog, t *model.Trail, v *verdict) model.Finding {
	ctl, _ := cat.Control(IntegrationID)
	rid := t.ARN
	if t.Source != nil && t.Source.Address != "" {
		rid = t.Source.Address
	}
	_, region, acct := arnParts(t.ARN)
	id := rid
	if t.Source != nil {
		id = t.Source.File + "#" + rid // addresses repeat across root modules and templates
		if root := t.Source.Root; root != "" && filepath.Dir(t.Source.File) != filepath.Clean(root) {
			// A module's resource, evaluated from one of possibly several roots: the root is part of its identity
			// (ids, SARIF fingerprints, exceptions), and said.
			id = root + ">" + id
			v.notes = append(v.notes, "Evaluated from the root module "+root+".")
		}
	}
	f := model.Finding{ID: model.FindingID(IntegrationID, id), ControlID: IntegrationID, Title: ctl.Title, Status: v.status,
		Severity: ctl.Severity, AccountID: tokenless(acct), Region: tokenless(region), ResourceType: model.TypeTrail,
		ResourceID: rid, Reasons: v.reasons, Notes: v.notes, Location: t.Source, Evidence: v.evidence}
	if f.Status == model.StatusFail || f.Status == model.StatusWarn {
		f.Remediation = ctl.Remediation // the code that fixes it comes from the fix plan (remediate.FixIaC)
	}
	return f
}

func tokenless(s string) string {
	if known(s) {
		return s
	}
	return ""
}

// ApplySuppressions mutes findings that an inline suppression covers, keeping their reasons; a suppression without a
// reason, or an expired one, does not mute and is reported. fs are EvaluateIaC's findings for trails, in order.
func ApplySuppressions(fs []model.Finding, trails []*model.Trail, now time.Time) []model.Finding {
	for i := range fs {
		f := &fs[i]
		if i >= len(trails) || f.Status == model.StatusPass || f.Status == model.StatusSkipped {
			continue
		}
		t := trails[i]
		for _, sp := range t.Suppressions {
			if !peerRules[sp.Rule] && sp.Rule != "*" {
				continue
			}
			switch {
			case strings.TrimSpace(sp.Reason) == "":
				f.Reasons = append(f.Reasons, model.Reason{Code: SuppressionNoReason, Message: fmt.Sprintf("%s suppression of %s at line %d has no reason; it does not mute the finding. Give one.", sp.Tool, sp.Rule, sp.Line)})
				if f.Status.Rank() > model.StatusWarn.Rank() {
					f.Status = model.StatusWarn
				}
			case sp.Expires != "" && expired(sp.Expires, now):
				f.Reasons = append(f.Reasons, model.Reason{Code: SuppressionExpired, Message: fmt.Sprintf("The suppression at line %d expired on %s.", sp.Line, sp.Expires)})
			default:
				if f.Status != model.StatusMuted {
					f.MutedStatus, f.Status = f.Status, model.StatusMuted
				}
				f.Suppressed = append(f.Suppressed, sp)
			}
		}
	}
	return fs
}

func expired(date string, now time.Time) bool {
	d, err := time.Parse("2006-01-02", date)
	if err != nil {
		return true
	}
	return !now.UTC().Before(d.Add(24 * time.Hour))
}

// FileError is the finding for a file that cannot be read or evaluated: the rest of the files still run.
func FileError(cat *Catalog, file string, line int, msg string) model.Finding {
	ctl, _ := cat.Control(IntegrationID)
	return model.Finding{ID: model.FindingID(IntegrationID, file), ControlID: IntegrationID, Title: ctl.Title,
		Status: model.StatusError, Severity: ctl.Severity, ResourceType: "file", ResourceID: file,
		Reasons: []model.Reason{{Code: TemplateInvalid, Message: msg}}, Location: &model.Location{File: file, Line: line}}
}
