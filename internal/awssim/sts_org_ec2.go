package awssim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// STS (awsQuery, API 2011-06-15): aws-behaviour.md §6.
func stsOps() map[string]handler {
	return map[string]handler{
		"GetCallerIdentity": stsGetCallerIdentity,
		"AssumeRole":        stsAssumeRole,
	}
}

func stsGetCallerIdentity(s *Server, c *call) (any, error) {
	return newXML().elem("UserId", c.cred.userID).elem("Account", c.cred.account).elem("Arn", c.cred.arn), nil
}

// roleMaxSession is every simulated role's MaxSessionDuration, in seconds.
const roleMaxSession = 3600

var sessionNameRe = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func stsAssumeRole(s *Server, c *call) (any, error) {
	roleArn, session := c.str("RoleArn"), c.str("RoleSessionName")
	if !sessionNameRe.MatchString(session) {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	duration := 3600
	if v := c.str("DurationSeconds"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 900 || d > 43200 {
			return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)
		}
		duration = d
	}
	// Role chaining caps sessions at one hour (STS AssumeRole API reference).
	if !c.cred.expires.IsZero() && duration > 3600 {
		return nil, errf(400, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	parts := strings.SplitN(roleArn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return nil, errf(400, "ValidationError", "%s is invalid", roleArn)
	}
	denied := errf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.cred.arn, roleArn)
	target := s.w.accounts[parts[4]]
	if target == nil || target.state != "ACTIVE" {
		return nil, denied
	}
	r := s.w.roleByARN(target, roleArn)
	if r == nil {
		return nil, denied
	}
	// The simulator's own trust check (deliverycheck.go), not trailwatch's internal/policy.
	if !roleTrustsAccount(r.trust, c.cred.account, c.cred.arn) {
		return nil, denied
	}
	// A session may not outlast the role's MaxSessionDuration (3600 s for every simulated role: GetRole says so);
	// STS AssumeRole API reference: "If you specify a value higher than this setting, the operation fails."
	if c.str("DurationSeconds") != "" && duration > roleMaxSession {
		return nil, errf(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	if ext := trustExternalID(r.trust); ext != "" && ext != c.str("ExternalId") {
		return nil, denied
	}
	sum := sha256.Sum256([]byte(roleArn + session + c.now.String() + c.reqID))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	cred := &credential{
		accessKey: "ASIA" + h[:16], secret: "sim-session-secret-" + h[16:40], token: "sim-session-token-" + h[40:64],
		// Expiration is read by clients against their own wall clock, so it is real time, not scenario time.
		account: target.id, expires: time.Now().UTC().Add(time.Duration(duration) * time.Second),
		arn: s.w.arn("sts", "", target.id, "assumed-role/"+r.name+"/"+session), userID: r.id + ":" + session,
	}
	s.w.keys[cred.accessKey] = cred
	x := newXML().open("Credentials").elem("AccessKeyId", cred.accessKey).elem("SecretAccessKey", cred.secret).
		elem("SessionToken", cred.token).elem("Expiration", isoTime(cred.expires)).close("Credentials").
		open("AssumedRoleUser").elem("AssumedRoleId", cred.userID).elem("Arn", cred.arn).close("AssumedRoleUser")
	return x, nil
}

var externalIDRe = regexp.MustCompile(`"sts:ExternalId"\s*:\s*"([^"]*)"`)

// trustExternalID returns the sts:ExternalId a trust policy's condition requires, if any. The simulator honours
// exactly this one condition, the one used for cross-account scanning roles.
func trustExternalID(doc string) string {
	if m := externalIDRe.FindStringSubmatch(doc); m != nil {
		return m[1]
	}
	return ""
}

// Organizations (awsJson1.1, API 2016-11-28): aws-behaviour.md §6. Only the management account and a delegated
// administrator may list accounts, tags and delegated administrators ("This operation can be called only from the
// organization's management account or by a member account that is a delegated administrator").
func orgOps() map[string]handler {
	return map[string]handler{
		"DescribeOrganization":             orgDescribeOrganization,
		"ListAccounts":                     orgListAccounts,
		"DescribeAccount":                  orgDescribeAccount,
		"ListTagsForResource":              orgListTagsForResource,
		"ListDelegatedAdministrators":      orgListDelegatedAdministrators,
		"ListRoots":                        orgListRoots,
		"ListOrganizationalUnitsForParent": orgListOrganizationalUnitsForParent,
		"ListAccountsForParent":            orgListAccountsForParent,
		"CreatePolicy":                     orgCreatePolicy,
		"AttachPolicy":                     orgAttachPolicy,
		"ListPolicies":                     orgListPolicies,
		"ListTargetsForPolicy":             orgListTargetsForPolicy,
		"UpdatePolicy":                     orgUpdatePolicy,
		"DeletePolicy":                     orgDeletePolicy,
		"DescribePolicy":                   orgDescribePolicy,
		"DetachPolicy":                     orgDetachPolicy,
	}
}

func (s *Server) orgReader(c *call) error {
	if s.w.org == nil {
		return errf(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	if !s.w.isOrgReader(c.acct.id) {
		return errf(400, "AccessDeniedException", "You don't have permissions to access this resource.")
	}
	return nil
}

func orgDescribeOrganization(s *Server, c *call) (any, error) {
	o := s.w.org
	if o == nil {
		return nil, errf(400, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	p := s.w.part.Name
	return map[string]any{"Organization": map[string]any{
		"Id": o.ID, "Arn": "arn:" + p + ":organizations::" + o.ManagementAccount + ":organization/" + o.ID,
		"FeatureSet": "ALL", "MasterAccountArn": "arn:" + p + ":organizations::" + o.ManagementAccount + ":account/" + o.ID + "/" + o.ManagementAccount,
		"MasterAccountId": o.ManagementAccount, "MasterAccountEmail": s.w.accounts[o.ManagementAccount].email,
		"AvailablePolicyTypes": []any{map[string]string{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}},
	}}, nil
}

func (w *world) accountARN(id string) string {
	return "arn:" + w.part.Name + ":organizations::" + w.org.ManagementAccount + ":account/" + w.org.ID + "/" + id
}

func orgListAccounts(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	// ListAccounts may answer an empty page with a NextToken (aws-behaviour.md §6): with empty_pages the simulator
	// answers every first request of a page that way.
	token := c.str("NextToken")
	if s.sc.Organization.EmptyPages && !strings.HasPrefix(token, "E") {
		return map[string]any{"Accounts": []any{}, "NextToken": "E" + token}, nil
	}
	c.body["NextToken"] = mustJSON(strings.TrimPrefix(token, "E"))
	return s.accountPage(c, s.w.order)
}

// orgDescribeAccount answers one account of the organization, or AccountNotFoundException ("We can't find an account
// with the AccountId that you specified", Organizations API reference).
func orgDescribeAccount(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	a := s.w.accounts[c.str("AccountId")]
	if a == nil {
		return nil, errf(400, "AccountNotFoundException", "You specified an account that doesn't exist.")
	}
	return map[string]any{"Account": s.w.accountObject(a)}, nil
}

// accountPage answers one page of accounts (MaxResults 1-20, NextToken).
func (s *Server) accountPage(c *call, ids []string) (any, error) {
	items, next, err := pageJSON(c, ids, 20)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, id := range items {
		list = append(list, s.w.accountObject(s.w.accounts[id]))
	}
	out := map[string]any{"Accounts": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func mustJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

func orgListTagsForResource(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	id := c.str("ResourceId")
	a := s.w.accounts[id]
	if a == nil {
		return nil, errf(400, "TargetNotFoundException", "You specified a target that doesn't exist.")
	}
	tags := []map[string]string{}
	for _, k := range sortedKeys(a.tags) {
		tags = append(tags, map[string]string{"Key": k, "Value": a.tags[k]})
	}
	return map[string]any{"Tags": tags}, nil
}

func orgListDelegatedAdministrators(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	list := []map[string]any{}
	if d := s.w.org.DelegatedAdmin; d != "" {
		if sp := c.str("ServicePrincipal"); sp == "" || sp == "cloudtrail.amazonaws.com" {
			a := s.w.accounts[d]
			obj := s.w.accountObject(a)
			obj["DelegationEnabledDate"] = epochSeconds(a.joined)
			list = append(list, obj)
		}
	}
	return map[string]any{"DelegatedAdministrators": list}, nil
}

// EC2 DescribeRegions (ec2Query, API 2016-11-15): without AllRegions only enabled regions; with it every region and
// its opt-in status (aws-behaviour.md §6).
func ec2Ops() map[string]handler {
	return map[string]handler{"DescribeRegions": ec2DescribeRegions, "CreateSecurityGroup": ec2CreateSecurityGroup,
		"DescribeSecurityGroups": ec2DescribeSecurityGroups, "CreatePlacementGroup": ec2CreatePlacementGroup}
}

// ec2CreateSecurityGroup: with DryRun (trailwatch prove's write marker) "DryRunOperation: Request would have
// succeeded, but DryRun flag is set." (EC2 API reference, common client errors; HTTP 412), creating nothing; without
// it, a group in the account's default VPC (name unique per VPC: InvalidGroup.Duplicate).
func ec2CreateSecurityGroup(s *Server, c *call) (any, error) {
	name, desc := c.str("GroupName"), c.str("GroupDescription")
	if name == "" || desc == "" {
		missing := "GroupName"
		if name != "" {
			missing = "GroupDescription"
		}
		return nil, errf(400, "MissingParameter", "The request must contain the parameter %s", missing)
	}
	if c.str("DryRun") == "true" {
		return nil, errf(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	for _, g := range c.acct.securityGroups {
		if g.region == c.region && g.name == name {
			return nil, errf(400, "InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, defaultVPC(c.acct.id))
		}
	}
	s.w.seq++
	g := securityGroup{id: fmt.Sprintf("sg-%017x", s.w.seq), name: name, description: desc, region: c.region}
	c.acct.securityGroups = append(c.acct.securityGroups, g)
	return newXML().elem("return", "true").elem("groupId", g.id).elem("securityGroupArn", s.w.arn("ec2", c.region, c.acct.id, "security-group/"+g.id)), nil
}

func defaultVPC(acct string) string { return "vpc-" + acct[:8] }

// ec2CreatePlacementGroup: with DryRun (trailwatch prove's write marker) DryRunOperation (412), creating nothing;
// without it, a placement group (GroupName unique per account and region: InvalidPlacementGroup.Duplicate; Strategy
// cluster, spread or partition: EC2 API reference, CreatePlacementGroup).
func ec2CreatePlacementGroup(s *Server, c *call) (any, error) {
	name, strategy := c.str("GroupName"), c.str("Strategy")
	if strategy != "" && strategy != "cluster" && strategy != "spread" && strategy != "partition" {
		return nil, errf(400, "InvalidParameterValue", "Value (%s) for parameter strategy is invalid.", strategy)
	}
	if c.str("DryRun") == "true" {
		return nil, errf(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	if name == "" {
		return nil, errf(400, "MissingParameter", "The request must contain the parameter GroupName")
	}
	for _, g := range c.acct.placementGroups {
		if g == c.region+"\x00"+name {
			return nil, errf(400, "InvalidPlacementGroup.Duplicate", "The placement group '%s' already exists.", name)
		}
	}
	c.acct.placementGroups = append(c.acct.placementGroups, c.region+"\x00"+name)
	s.w.seq++
	id := fmt.Sprintf("pg-%017x", s.w.seq)
	return newXML().elem("return", "true").open("placementGroup").elem("groupName", name).elem("state", "available").elem("strategy", strategy).
		elem("groupId", id).elem("groupArn", s.w.arn("ec2", c.region, c.acct.id, "placement-group/"+name)).close("placementGroup"), nil
}

// ec2DescribeSecurityGroups lists the groups created through the API, narrowed by GroupName.N, GroupId.N and the
// group-name and group-id filters. The proof's read marker filters on a name no group has and lists nothing.
func ec2DescribeSecurityGroups(s *Server, c *call) (any, error) {
	if c.str("DryRun") == "true" {
		return nil, errf(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	names, ids := c.form["GroupName.1"], c.form["GroupId.1"]
	filters := map[string][]string{}
	for i := 1; ; i++ {
		n := c.form.Get("Filter." + strconv.Itoa(i) + ".Name")
		if n == "" {
			break
		}
		for j := 1; ; j++ {
			v := c.form.Get("Filter." + strconv.Itoa(i) + ".Value." + strconv.Itoa(j))
			if v == "" {
				break
			}
			filters[n] = append(filters[n], v)
		}
	}
	x := newXML().open("securityGroupInfo")
	for _, g := range c.acct.securityGroups {
		if g.region != c.region || len(names) > 0 && !slices.Contains(names, g.name) || len(ids) > 0 && !slices.Contains(ids, g.id) {
			continue
		}
		if v, ok := filters["group-name"]; ok && !slices.Contains(v, g.name) {
			continue
		}
		if v, ok := filters["group-id"]; ok && !slices.Contains(v, g.id) {
			continue
		}
		x.open("item").elem("ownerId", c.acct.id).elem("groupId", g.id).elem("groupName", g.name).elem("description", g.description).
			elem("vpcId", defaultVPC(c.acct.id)).close("item")
	}
	return x.close("securityGroupInfo"), nil
}

func ec2DescribeRegions(s *Server, c *call) (any, error) {
	all := c.str("AllRegions") == "true"
	var names []string
	for i := 1; ; i++ {
		v := c.form.Get("RegionName." + strconv.Itoa(i))
		if v == "" {
			break
		}
		names = append(names, v)
	}
	filters := map[string][]string{}
	for i := 1; ; i++ {
		n := c.form.Get("Filter." + strconv.Itoa(i) + ".Name")
		if n == "" {
			break
		}
		// DescribeRegions filters: endpoint, opt-in-status, region-name (EC2 API reference).
		if n != "endpoint" && n != "opt-in-status" && n != "region-name" {
			return nil, errf(400, "InvalidParameterValue", "The filter '%s' is invalid", n)
		}
		for j := 1; ; j++ {
			v := c.form.Get("Filter." + strconv.Itoa(i) + ".Value." + strconv.Itoa(j))
			if v == "" {
				break
			}
			filters[n] = append(filters[n], v)
		}
	}
	p := s.w.part
	regions := p.All()
	sort.Strings(regions)
	x := newXML().open("regionInfo")
	for _, r := range regions {
		enabled := c.acct.regions[r]
		status := "opt-in-not-required"
		if p.IsOptIn(r) {
			status = "not-opted-in"
			if enabled {
				status = "opted-in"
			}
		}
		if !all && !enabled && len(names) == 0 {
			continue
		}
		if len(names) > 0 && !slices.Contains(names, r) {
			continue
		}
		if v, ok := filters["region-name"]; ok && !slices.Contains(v, r) {
			continue
		}
		if v, ok := filters["opt-in-status"]; ok && !slices.Contains(v, status) {
			continue
		}
		if v, ok := filters["endpoint"]; ok && !slices.Contains(v, "ec2."+r+"."+p.DNS) {
			continue
		}
		x.open("item").elem("regionName", r).elem("regionEndpoint", "ec2."+r+"."+p.DNS).elem("optInStatus", status).close("item")
	}
	x.close("regionInfo")
	return x, nil
}

// Organizational units. A scenario account's `ou` is a path of OU names under the root ("Workloads/Prod"); ids are
// derived from the path, in the documented formats (root r-[0-9a-z]{4,32}; OU ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}).

func (w *world) rootID() string { return "r-" + strings.TrimPrefix(w.org.ID, "o-")[:4] }

func (w *world) ouID(path string) string {
	if path == "" {
		return w.rootID()
	}
	sum := sha256.Sum256([]byte(w.org.ID + "/" + path))
	return "ou-" + strings.TrimPrefix(w.org.ID, "o-")[:4] + "-" + hex.EncodeToString(sum[:])[:8]
}

// ouPaths lists every OU path in the organization, parents included.
func (w *world) ouPaths() map[string]string {
	paths := map[string]string{} // id -> path
	for _, a := range w.accounts {
		p := a.ou
		for p != "" {
			paths[w.ouID(p)] = p
			i := strings.LastIndex(p, "/")
			if i < 0 {
				break
			}
			p = p[:i]
		}
	}
	return paths
}

func (s *Server) parentPath(c *call) (string, error) {
	id := c.str("ParentId")
	if id == s.w.rootID() {
		return "", nil
	}
	if p, ok := s.w.ouPaths()[id]; ok {
		return p, nil
	}
	return "", errf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
}

func orgListRoots(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	p := s.w.part.Name
	return map[string]any{"Roots": []any{map[string]any{"Id": s.w.rootID(), "Name": "Root",
		"Arn": "arn:" + p + ":organizations::" + s.w.org.ManagementAccount + ":root/" + s.w.org.ID + "/" + s.w.rootID()}}}, nil
}

func orgListOrganizationalUnitsForParent(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	parent, err := s.parentPath(c)
	if err != nil {
		return nil, err
	}
	var children []string
	for _, p := range s.w.ouPaths() {
		i := strings.LastIndex(p, "/")
		if (i < 0 && parent == "") || (i >= 0 && p[:i] == parent) {
			children = append(children, p)
		}
	}
	sort.Strings(children)
	items, next, err := pageJSON(c, children, 20)
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, p := range items {
		name := p[strings.LastIndex(p, "/")+1:]
		id := s.w.ouID(p)
		list = append(list, map[string]any{"Id": id, "Name": name,
			"Arn": "arn:" + s.w.part.Name + ":organizations::" + s.w.org.ManagementAccount + ":ou/" + s.w.org.ID + "/" + id})
	}
	out := map[string]any{"OrganizationalUnits": list}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func orgListAccountsForParent(s *Server, c *call) (any, error) {
	if err := s.orgReader(c); err != nil {
		return nil, err
	}
	parent, err := s.parentPath(c)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range s.w.order {
		if s.w.accounts[id].ou == parent {
			ids = append(ids, id)
		}
	}
	return s.accountPage(c, ids)
}

func (w *world) accountObject(a *account) map[string]any {
	// Account.Status was retired on 2026-09-09 in favour of State (aws-behaviour.md rule 10).
	return map[string]any{"Id": a.id, "Arn": w.accountARN(a.id), "Email": a.email, "Name": a.name,
		"State": a.state, "JoinedMethod": "CREATED", "JoinedTimestamp": epochSeconds(a.joined)}
}

// pageJSON pages a list with MaxResults (1-20, default max) and NextToken.
func pageJSON(c *call, items []string, max int) ([]string, string, error) {
	if c.has("MaxResults") {
		if err := c.decode("MaxResults", &max); err != nil {
			return nil, "", err
		}
		if max < 1 || max > 20 {
			reason := "MAX_VALUE_EXCEEDED"
			if max < 1 {
				reason = "MIN_VALUE_EXCEEDED"
			}
			return nil, "", orgInvalidInput(reason, "You provided a value that does not match the required pattern.")
		}
	}
	start, err := pageStart(c.str("NextToken"), c.svc)
	if err != nil {
		return nil, "", err
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = pageToken(end)
	}
	return items[min(start, len(items)):end], next, nil
}
