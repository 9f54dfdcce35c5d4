package awssim

import (
	"regexp"
	"sort"
	"strings"
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
		list = append(list, map[string]any{"OrganizationConformancePackName": k[strings.LastIndex(k, "/")+1:], "OrganizationConformancePackArn": s.w.packs[k]})
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
		return nil, errf(400, "InvalidInputException", "You provided an invalid policy type.")
	}
	if len(content) > 5120 {
		return nil, errf(400, "ConstraintViolationException", "You attempted to create a policy larger than the maximum size (POLICY_CONTENT_LIMIT_EXCEEDED).")
	}
	if _, err := permissionDocument(content); err != nil {
		return nil, errf(400, "MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type.")
	}
	id := "p-" + strings.ToLower(s.w.nextID(""))[8:]
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

type scp struct {
	name, content, arn string
	targets            []string
}
