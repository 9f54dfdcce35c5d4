package awssim

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// IAM (awsQuery, API 2010-05-08). Shapes, errors and HTTP statuses: botocore iam/2010-05-08/service-2.json;
// aws-behaviour.md §5.3. Policy documents are returned URL-encoded (RFC 3986), as IAM does.
func iamOps() map[string]handler {
	return map[string]handler{
		"GetRole":                  iamGetRole,
		"CreateRole":               iamCreateRole,
		"DeleteRole":               iamDeleteRole,
		"UpdateAssumeRolePolicy":   iamUpdateAssumeRolePolicy,
		"ListRolePolicies":         iamListRolePolicies,
		"ListRoles":                iamListRoles,
		"GetRolePolicy":            iamGetRolePolicy,
		"PutRolePolicy":            iamPutRolePolicy,
		"DeleteRolePolicy":         iamDeleteRolePolicy,
		"ListAttachedRolePolicies": iamListAttachedRolePolicies,
		"GetPolicy":                iamGetPolicy,
		"GetPolicyVersion":         iamGetPolicyVersion,
		"AttachRolePolicy":         iamAttachRolePolicy,
		"DetachRolePolicy":         iamDetachRolePolicy,
	}
}

// urlEncode escapes a policy document as IAM does (RFC 3986: space as %20, not +).
func urlEncode(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

func noSuchRole(name string) error {
	// The exact AWS text is not documented ([U], aws-behaviour.md §5.3).
	return errf(404, "NoSuchEntity", "The role with name %s cannot be found.", name)
}

func (s *Server) roleOf(c *call) (*role, error) {
	name := c.str("RoleName")
	if name == "" {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	r := c.acct.roles[strings.ToLower(name)]
	if r == nil {
		return nil, noSuchRole(name)
	}
	return r, nil
}

func roleXML(x *xmlb, r *role) {
	x.open("Role").elem("Path", r.path).elem("RoleName", r.name).elem("RoleId", r.id).elem("Arn", r.arn).
		elem("CreateDate", isoTime(r.created)).elem("AssumeRolePolicyDocument", urlEncode(r.trust)).
		elem("MaxSessionDuration", strconv.Itoa(roleMaxSession))
	if len(r.tags) > 0 {
		x.open("Tags")
		for _, k := range sortedKeys(r.tags) {
			x.open("member").elem("Key", k).elem("Value", r.tags[k]).close("member")
		}
		x.close("Tags")
	}
	x.close("Role")
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func iamGetRole(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	x := newXML()
	roleXML(x, r)
	return x, nil
}

// malformed is IAM's MalformedPolicyDocument, its message capitalized as IAM writes it ("Syntax errors in policy.").
func malformed(err error) error {
	msg := err.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return errf(400, "MalformedPolicyDocument", "%s", msg)
}

func iamCreateRole(s *Server, c *call) (any, error) {
	name, doc := c.str("RoleName"), c.str("AssumeRolePolicyDocument")
	if !roleNameRe.MatchString(name) {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	if c.acct.roles[strings.ToLower(name)] != nil {
		return nil, errf(409, "EntityAlreadyExists", "Role with name %s already exists.", name)
	}
	if err := checkDocument(doc); err != nil {
		return nil, malformed(err)
	}
	path := c.str("Path")
	if path == "" {
		path = "/"
	}
	r := &role{name: name, path: path, id: s.w.nextID("AROA"), created: c.now, trust: doc, inline: map[string]string{}, tags: map[string]string{}}
	r.arn = s.w.roleARN(c.acct.id, path, name)
	r.changed = c.now
	for i := 1; ; i++ {
		k := c.form.Get(fmt.Sprintf("Tags.member.%d.Key", i))
		if k == "" {
			break
		}
		r.tags[k] = c.form.Get(fmt.Sprintf("Tags.member.%d.Value", i))
	}
	c.acct.roles[strings.ToLower(name)] = r
	s.w.reconcile(c.now)
	x := newXML()
	roleXML(x, r)
	return x, nil
}

func iamDeleteRole(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	// IAM refuses to delete a role that still has policies (DeleteConflict, service-2.json).
	if len(r.inline) > 0 || len(r.attached) > 0 {
		return nil, errf(409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	}
	delete(c.acct.roles, strings.ToLower(r.name))
	s.w.reconcile(c.now)
	return nil, nil
}

func iamUpdateAssumeRolePolicy(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	doc := c.str("PolicyDocument")
	if err := checkDocument(doc); err != nil {
		return nil, malformed(err)
	}
	r.trust, r.changed = doc, c.now
	s.w.reconcile(c.now)
	return nil, nil
}

// iamListRoles lists the account's roles whose path starts with PathPrefix (default "/"), sorted by name, paged with
// Marker/MaxItems. Per the IAM API reference, ListRoles does not return a role's tags, permissions boundary or last
// use: only its core attributes and the URL-encoded trust policy.
func iamListRoles(s *Server, c *call) (any, error) {
	prefix := c.str("PathPrefix")
	if prefix == "" {
		prefix = "/"
	}
	byName := map[string]*role{}
	var names []string
	for _, r := range c.acct.roles {
		if strings.HasPrefix(r.path, prefix) {
			byName[r.name] = r
			names = append(names, r.name)
		}
	}
	sort.Strings(names)
	page, next, err := pageMarker(c, names)
	if err != nil {
		return nil, err
	}
	x := newXML().open("Roles")
	for _, n := range page {
		r := byName[n]
		x.open("member").elem("Path", r.path).elem("RoleName", r.name).elem("RoleId", r.id).elem("Arn", r.arn).
			elem("CreateDate", isoTime(r.created)).elem("AssumeRolePolicyDocument", urlEncode(r.trust)).
			elem("MaxSessionDuration", "3600").close("member")
	}
	x.close("Roles")
	markerXML(x, next)
	return x, nil
}

func iamListRolePolicies(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(r.inline))
	for n := range r.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	page, next, err := pageMarker(c, names)
	if err != nil {
		return nil, err
	}
	x := newXML().open("PolicyNames")
	for _, n := range page {
		x.elem("member", n)
	}
	x.close("PolicyNames")
	markerXML(x, next)
	return x, nil
}

// pageMarker pages a list with IAM's Marker/MaxItems (default 100).
func pageMarker(c *call, items []string) ([]string, string, error) {
	start, err := pageStart(c.str("Marker"), c.svc)
	if err != nil {
		return nil, "", err
	}
	max := 100
	if v := c.str("MaxItems"); v != "" {
		if max, err = strconv.Atoi(v); err != nil || max < 1 || max > 1000 {
			return nil, "", errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", v)
		}
	}
	end := min(start+max, len(items))
	next := ""
	if end < len(items) {
		next = pageToken(end)
	}
	return items[min(start, len(items)):end], next, nil
}

func markerXML(x *xmlb, next string) {
	if next != "" {
		x.elem("IsTruncated", "true").elem("Marker", next)
	} else {
		x.elem("IsTruncated", "false")
	}
}

func iamGetRolePolicy(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	name := c.str("PolicyName")
	doc, ok := r.inline[name]
	if !ok {
		return nil, errf(404, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
	}
	return newXML().elem("RoleName", r.name).elem("PolicyName", name).elem("PolicyDocument", urlEncode(doc)), nil
}

func iamPutRolePolicy(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	doc := c.str("PolicyDocument")
	if err := checkDocument(doc); err != nil {
		return nil, malformed(err)
	}
	r.inline[c.str("PolicyName")] = doc
	r.changed = c.now
	s.w.reconcile(c.now)
	return nil, nil
}

func iamDeleteRolePolicy(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	name := c.str("PolicyName")
	if _, ok := r.inline[name]; !ok {
		return nil, errf(404, "NoSuchEntity", "The role policy with name %s cannot be found.", name)
	}
	delete(r.inline, name)
	s.w.reconcile(c.now)
	return nil, nil
}

func iamListAttachedRolePolicies(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	page, next, err := pageMarker(c, r.attached)
	if err != nil {
		return nil, err
	}
	x := newXML().open("AttachedPolicies")
	for _, arn := range page {
		name := arn[strings.LastIndex(arn, "/")+1:]
		x.open("member").elem("PolicyName", name).elem("PolicyArn", arn).close("member")
	}
	x.close("AttachedPolicies")
	markerXML(x, next)
	return x, nil
}

func (s *Server) policyOf(c *call) (*managedPolicy, error) {
	arn := c.str("PolicyArn")
	if !strings.HasPrefix(arn, "arn:") {
		return nil, errf(400, "InvalidInput", "ARN %s is not valid.", arn)
	}
	mp := s.w.policyByARN(c.acct, arn)
	if mp == nil {
		return nil, errf(404, "NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
	}
	return mp, nil
}

func iamGetPolicy(s *Server, c *call) (any, error) {
	mp, err := s.policyOf(c)
	if err != nil {
		return nil, err
	}
	return newXML().open("Policy").elem("PolicyName", mp.name).elem("PolicyId", mp.id).elem("Arn", mp.arn).
		elem("Path", "/").elem("DefaultVersionId", "v1").elem("AttachmentCount", strconv.Itoa(mp.attachments)).
		elem("PermissionsBoundaryUsageCount", "0").elem("IsAttachable", "true").
		elem("CreateDate", isoTime(mp.created)).elem("UpdateDate", isoTime(mp.created)).close("Policy"), nil
}

func iamGetPolicyVersion(s *Server, c *call) (any, error) {
	mp, err := s.policyOf(c)
	if err != nil {
		return nil, err
	}
	if v := c.str("VersionId"); v != "v1" {
		return nil, errf(404, "NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", mp.arn, v)
	}
	return newXML().open("PolicyVersion").elem("Document", urlEncode(mp.doc)).elem("VersionId", "v1").
		elem("IsDefaultVersion", "true").elem("CreateDate", isoTime(mp.created)).close("PolicyVersion"), nil
}

func iamAttachRolePolicy(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	mp, err := s.policyOf(c)
	if err != nil {
		return nil, err
	}
	for _, a := range r.attached {
		if a == mp.arn {
			return nil, nil
		}
	}
	r.attached = append(r.attached, mp.arn)
	r.changed = c.now
	mp.attachments++
	s.w.reconcile(c.now)
	return nil, nil
}

func iamDetachRolePolicy(s *Server, c *call) (any, error) {
	r, err := s.roleOf(c)
	if err != nil {
		return nil, err
	}
	arn := c.str("PolicyArn")
	for i, a := range r.attached {
		if a == arn {
			r.attached = append(r.attached[:i], r.attached[i+1:]...)
			if mp := s.w.policyByARN(c.acct, arn); mp != nil {
				mp.attachments--
			}
			s.w.reconcile(c.now)
			return nil, nil
		}
	}
	return nil, errf(404, "NoSuchEntity", "Policy %s was not found.", arn)
}
