package awssim

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// AWS Config (awsJson1.1, target StarlingDoveService, API 2014-11-12): conformance packs, as aws-behaviour.md §7 gives
// them (PutConformancePack, PutOrganizationConformancePack; names [a-zA-Z][-a-zA-Z0-9]*; template body at most 51,200
// bytes; idempotent).
func configOps() map[string]handler {
	return map[string]handler{
		"PutConformancePack":                   cfgPutConformancePack,
		"PutOrganizationConformancePack":       cfgPutOrganizationConformancePack,
		"DescribeConformancePacks":             cfgDescribeConformancePacks,
		"DescribeOrganizationConformancePacks": cfgDescribeOrganizationConformancePacks,
		"PutEvaluations":                       cfgPutEvaluations,
		"GetComplianceDetailsByConfigRule":     cfgGetComplianceDetailsByConfigRule,
	}
}

var packNameRe = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]*$`)

func (s *Server) validatePack(c *call, nameKey string, max int) (string, error) {
	name, body := c.str(nameKey), c.str("TemplateBody")
	if len(name) < 1 || len(name) > max || !packNameRe.MatchString(name) {
		return "", errf(400, "ValidationException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name, nameKey)
	}
	if body == "" || len(body) > 51200 {
		return "", errf(400, "ConformancePackTemplateValidationException", "The template body must be 1 to 51,200 bytes.")
	}
	if !strings.Contains(body, "AWS::Config::ConfigRule") {
		return "", errf(400, "ConformancePackTemplateValidationException", "The template does not contain any AWS::Config::ConfigRule resources.")
	}
	return name, nil
}

func cfgPutConformancePack(s *Server, c *call) (any, error) {
	name, err := s.validatePack(c, "ConformancePackName", 256)
	if err != nil {
		return nil, err
	}
	arn := s.w.arn("config", c.region, c.acct.id, "conformance-pack/"+name+"/conformance-pack-sim")
	s.w.packs[c.acct.id+"/"+c.region+"/"+name] = arn
	return map[string]any{"ConformancePackArn": arn}, nil
}

func cfgPutOrganizationConformancePack(s *Server, c *call) (any, error) {
	if s.w.org == nil {
		return nil, errf(400, "NoAvailableOrganizationException", "Organization is not available.")
	}
	if !s.w.isOrgReader(c.acct.id) {
		return nil, errf(400, "OrganizationAccessDeniedException", "This action can only be performed if you are a registered delegated administrator or the management account of the organization.")
	}
	name, err := s.validatePack(c, "OrganizationConformancePackName", 128)
	if err != nil {
		return nil, err
	}
	arn := s.w.arn("config", c.region, c.acct.id, "organization-conformance-pack/"+name+"-sim")
	s.w.packs["org/"+c.region+"/"+name] = arn
	s.w.packTimes["org/"+c.region+"/"+name] = c.now
	return map[string]any{"OrganizationConformancePackArn": arn}, nil
}

func listPacks(s *Server, prefix string) []string {
	var keys []string
	for k := range s.w.packs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func cfgDescribeConformancePacks(s *Server, c *call) (any, error) {
	list := []map[string]any{}
	for _, k := range listPacks(s, c.acct.id+"/"+c.region+"/") {
		list = append(list, map[string]any{"ConformancePackName": k[strings.LastIndex(k, "/")+1:], "ConformancePackArn": s.w.packs[k], "ConformancePackId": "conformance-pack-sim"})
	}
	return map[string]any{"ConformancePackDetails": list}, nil
}

func cfgDescribeOrganizationConformancePacks(s *Server, c *call) (any, error) {
	list := []map[string]any{}
	for _, k := range listPacks(s, "org/"+c.region+"/") {
		// LastUpdateTime is a required member of OrganizationConformancePack (config/2014-11-12 service model).
		list = append(list, map[string]any{"OrganizationConformancePackName": k[strings.LastIndex(k, "/")+1:], "OrganizationConformancePackArn": s.w.packs[k],
			"LastUpdateTime": epochSeconds(s.w.packTimes[k])})
	}
	return map[string]any{"OrganizationConformancePacks": list}, nil
}

// Organizations policies: CreatePolicy (SERVICE_CONTROL_POLICY, content at most 5,120 characters) and AttachPolicy to
// the root, an OU or an account; management account only.
func orgCreatePolicy(s *Server, c *call) (any, error) {
	if s.w.org == nil || c.acct.id != s.w.org.ManagementAccount {
		return nil, errf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	content, name := c.str("Content"), c.str("Name")
	if c.str("Type") != "SERVICE_CONTROL_POLICY" {
		return nil, orgInvalidInput("INVALID_ENUM_POLICY_TYPE", "You provided an invalid policy type.")
	}
	if len(content) > 5120 {
		return nil, errf(400, "ConstraintViolationException", "You attempted to create a policy larger than the maximum size (POLICY_CONTENT_LIMIT_EXCEEDED).")
	}
	if _, err := permissionDocument(content); err != nil {
		return nil, errf(400, "MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type.")
	}
	for _, p := range s.w.policies {
		if p.name == name {
			// Organizations CreatePolicy: "A policy with the same name already exists."
			return nil, errf(400, "DuplicatePolicyException", "A policy with the same name already exists.")
		}
	}
	// Ids and ARNs follow the service model's patterns: PolicyId ^p-[0-9a-zA-Z_]{8,128}$, and the policy ARN's
	// p-[0-9a-z]{10,32} (organizations/2016-11-28 service model).
	id := "p-" + strings.ToLower(s.w.nextID(""))[4:]
	arn := "arn:" + s.w.part.Name + ":organizations::" + s.w.org.ManagementAccount + ":policy/" + s.w.org.ID + "/service_control_policy/" + id
	s.w.policies[id] = &scp{name: name, content: content, arn: arn}
	summary := map[string]any{"Id": id, "Arn": arn, "Name": name, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false}
	return map[string]any{"Policy": map[string]any{"PolicySummary": summary, "Content": content}}, nil
}

func orgAttachPolicy(s *Server, c *call) (any, error) {
	if s.w.org == nil || c.acct.id != s.w.org.ManagementAccount {
		return nil, errf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	p := s.w.policies[c.str("PolicyId")]
	if p == nil {
		return nil, errf(400, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
	}
	target := c.str("TargetId")
	_, isOU := s.w.ouPaths()[target]
	if target != s.w.rootID() && !isOU && s.w.accounts[target] == nil {
		return nil, errf(400, "TargetNotFoundException", "We can't find a root, OU, account, or email that matches the TargetId that you specified.")
	}
	for _, t := range p.targets {
		if t == target {
			return nil, errf(400, "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
		}
	}
	p.targets = append(p.targets, target)
	return map[string]any{}, nil
}

// orgInvalidInput is Organizations' InvalidInputException with its Reason member (organizations/2016-11-28 service
// model: InvalidInputExceptionReason).
func orgInvalidInput(reason, msg string) *apiError {
	e := errf(400, "InvalidInputException", "%s", msg)
	e.extra = map[string]string{"Reason": reason}
	return e
}

type scp struct {
	name, content, arn string
	targets            []string
}

func (s *Server) managementOnly(c *call) error {
	if s.w.org == nil || c.acct.id != s.w.org.ManagementAccount {
		return errf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return nil
}

func (s *Server) policyByID(c *call) (string, *scp, error) {
	id := c.str("PolicyId")
	p := s.w.policies[id]
	if p == nil {
		return "", nil, errf(400, "PolicyNotFoundException", "We can't find a policy with the PolicyId that you specified.")
	}
	return id, p, nil
}

func policySummary(id string, p *scp) map[string]any {
	return map[string]any{"Id": id, "Arn": p.arn, "Name": p.name, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false}
}

// orgListPolicies lists the customer SCPs (Filter SERVICE_CONTROL_POLICY is required; Organizations API reference
// ListPolicies), sorted by id, paged.
func orgListPolicies(s *Server, c *call) (any, error) {
	if err := s.managementOnly(c); err != nil {
		return nil, err
	}
	if c.str("Filter") != "SERVICE_CONTROL_POLICY" {
		return nil, orgInvalidInput("INVALID_ENUM", "You provided an invalid value for the Filter parameter.")
	}
	ids := make([]string, 0, len(s.w.policies))
	for id := range s.w.policies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	items, next, err := pageJSON(c, ids, 20)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, id := range items {
		list = append(list, policySummary(id, s.w.policies[id]))
	}
	out := map[string]any{"Policies": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// orgListTargetsForPolicy lists the roots, OUs and accounts a policy is attached to (PolicyTargetSummary).
func orgListTargetsForPolicy(s *Server, c *call) (any, error) {
	if err := s.managementOnly(c); err != nil {
		return nil, err
	}
	_, p, err := s.policyByID(c)
	if err != nil {
		return nil, err
	}
	items, next, err := pageJSON(c, p.targets, 20)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, t := range items {
		typ := "ACCOUNT"
		switch {
		case t == s.w.rootID():
			typ = "ROOT"
		case strings.HasPrefix(t, "ou-"):
			typ = "ORGANIZATIONAL_UNIT"
		}
		list = append(list, map[string]any{"TargetId": t, "Type": typ, "Name": t})
	}
	out := map[string]any{"Targets": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// orgUpdatePolicy replaces a policy's content (and name or description when given).
func orgUpdatePolicy(s *Server, c *call) (any, error) {
	if err := s.managementOnly(c); err != nil {
		return nil, err
	}
	id, p, err := s.policyByID(c)
	if err != nil {
		return nil, err
	}
	if content := c.str("Content"); content != "" {
		if len(content) > 5120 {
			return nil, errf(400, "ConstraintViolationException", "You attempted to create a policy larger than the maximum size (POLICY_CONTENT_LIMIT_EXCEEDED).")
		}
		if _, err := permissionDocument(content); err != nil {
			return nil, errf(400, "MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type.")
		}
		p.content = content
	}
	if n := c.str("Name"); n != "" {
		p.name = n
	}
	return map[string]any{"Policy": map[string]any{"PolicySummary": policySummary(id, p), "Content": p.content}}, nil
}

// orgDescribePolicy returns a policy's summary and content (Organizations API reference, DescribePolicy).
func orgDescribePolicy(s *Server, c *call) (any, error) {
	if err := s.managementOnly(c); err != nil {
		return nil, err
	}
	id, p, err := s.policyByID(c)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": map[string]any{"PolicySummary": policySummary(id, p), "Content": p.content}}, nil
}

// orgDetachPolicy detaches a policy from a root, OU or account; one not attached there is PolicyNotAttachedException
// (Organizations API reference, DetachPolicy).
func orgDetachPolicy(s *Server, c *call) (any, error) {
	if err := s.managementOnly(c); err != nil {
		return nil, err
	}
	_, p, err := s.policyByID(c)
	if err != nil {
		return nil, err
	}
	target := c.str("TargetId")
	for i, t := range p.targets {
		if t == target {
			p.targets = append(p.targets[:i], p.targets[i+1:]...)
			return map[string]any{}, nil
		}
	}
	return nil, errf(400, "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
}

// orgDeletePolicy deletes a policy that is attached nowhere; an attached one is PolicyInUseException (Organizations
// API reference DeletePolicy: "you must first detach the policy from all organizational units (OUs), roots, and
// accounts").
func orgDeletePolicy(s *Server, c *call) (any, error) {
	if err := s.managementOnly(c); err != nil {
		return nil, err
	}
	id, p, err := s.policyByID(c)
	if err != nil {
		return nil, err
	}
	if len(p.targets) > 0 {
		return nil, errf(400, "PolicyInUseException", "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
	}
	delete(s.w.policies, id)
	return map[string]any{}, nil
}

// Custom rule evaluations: a custom Lambda rule answers an invocation with PutEvaluations(ResultToken, Evaluations),
// at most 100 evaluations per call (InvalidParameterValueException beyond); GetComplianceDetailsByConfigRule returns the
// latest evaluation of each resource. AWS Config hands the Lambda its ResultToken in the invocation; the simulator
// makes one with ConfigResultToken. Shapes: botocore config/2014-11-12/service-2.json.

type evaluation struct {
	resourceType, resourceID, compliance, annotation string
	ordering, recorded                               time.Time
}

// ConfigResultToken is the ResultToken AWS Config would put in an invocation of rule in the account and region.
func (s *Server) ConfigResultToken(acct, region, rule string) string {
	return "sim-result-token/" + acct + "/" + region + "/" + rule
}

func cfgPutEvaluations(s *Server, c *call) (any, error) {
	tok := c.str("ResultToken")
	parts := strings.Split(tok, "/")
	if len(parts) != 4 || parts[0] != "sim-result-token" || parts[1] != c.acct.id || parts[2] != c.region || parts[3] == "" {
		return nil, errf(400, "InvalidResultTokenException", "The specified ResultToken is not valid.")
	}
	var evs []struct {
		ComplianceResourceType, ComplianceResourceId, ComplianceType, Annotation string
		OrderingTimestamp                                                        json.Number
	}
	if err := c.decode("Evaluations", &evs); err != nil {
		return nil, err
	}
	if len(evs) > 100 {
		return nil, errf(400, "InvalidParameterValueException", "1 validation error detected: Value at 'evaluations' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	var test bool
	if err := c.decode("TestMode", &test); err != nil {
		return nil, err
	}
	failed := []map[string]any{}
	for _, e := range evs {
		switch e.ComplianceType {
		case "COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA":
		default:
			return nil, errf(400, "InvalidParameterValueException", "ComplianceType %q is not valid.", e.ComplianceType)
		}
		if e.ComplianceResourceType == "" || e.ComplianceResourceId == "" || e.OrderingTimestamp == "" {
			return nil, errf(400, "InvalidParameterValueException", "ComplianceResourceType, ComplianceResourceId and OrderingTimestamp are required.")
		}
		if len(e.Annotation) > 256 {
			return nil, errf(400, "InvalidParameterValueException", "1 validation error detected: Value at 'evaluations.member.annotation' failed to satisfy constraint: Member must have length less than or equal to 256")
		}
		if test {
			continue
		}
		f, _ := e.OrderingTimestamp.Float64()
		ord := time.UnixMilli(int64(f * 1000)).UTC()
		key := c.acct.id + "/" + c.region + "/" + parts[3]
		if s.w.evaluations[key] == nil {
			s.w.evaluations[key] = map[string]*evaluation{}
		}
		rk := e.ComplianceResourceType + "/" + e.ComplianceResourceId
		if old := s.w.evaluations[key][rk]; old != nil && old.ordering.After(ord) {
			continue // an older evaluation does not replace a newer one
		}
		s.w.evaluations[key][rk] = &evaluation{resourceType: e.ComplianceResourceType, resourceID: e.ComplianceResourceId,
			compliance: e.ComplianceType, annotation: e.Annotation, ordering: ord, recorded: c.now}
	}
	return map[string]any{"FailedEvaluations": failed}, nil
}

func cfgGetComplianceDetailsByConfigRule(s *Server, c *call) (any, error) {
	rule := c.str("ConfigRuleName")
	var types []string
	if err := c.decode("ComplianceTypes", &types); err != nil {
		return nil, err
	}
	evs := s.w.evaluations[c.acct.id+"/"+c.region+"/"+rule]
	keys := make([]string, 0, len(evs))
	for k := range evs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []map[string]any{}
	for _, k := range keys {
		e := evs[k]
		if len(types) > 0 && !slices.Contains(types, e.compliance) {
			continue
		}
		r := map[string]any{"EvaluationResultIdentifier": map[string]any{"EvaluationResultQualifier": map[string]any{
			"ConfigRuleName": rule, "ResourceType": e.resourceType, "ResourceId": e.resourceID}, "OrderingTimestamp": epochSeconds(e.ordering)},
			"ComplianceType": e.compliance, "ResultRecordedTime": epochSeconds(e.recorded), "ConfigRuleInvokedTime": epochSeconds(e.recorded)}
		if e.annotation != "" {
			r["Annotation"] = e.annotation
		}
		out = append(out, r)
	}
	return map[string]any{"EvaluationResults": out}, nil
}
