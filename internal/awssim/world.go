package awssim

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trailwatch/trailwatch/internal/partition"
)

// deliveryPeriod is how often a healthy trail delivers to CloudWatch Logs in the simulation. AWS documents that
// CloudTrail "typically delivers events to CloudWatch Logs within about 5 minutes of an API call" (CTUG
// send-cloudtrail-events-to-cloudwatch-logs); the simulator models a delivery every 5 minutes.
const deliveryPeriod = 5 * time.Minute

type world struct {
	mu         sync.Mutex
	part       partition.Partition
	clock      *clock
	firstDelay time.Duration
	propDelay  time.Duration
	org        *Organization
	accounts   map[string]*account
	order      []string // account ids in scenario order
	// s3buckets hold trails' past deliveries (scenario s3_delivery), by bucket name.
	s3buckets map[string]*s3Bucket
	// The organization's telemetry evaluation and rules (held by the management account; applied in every account).
	orgEvaluation     *telemetryEvaluation
	orgTelemetryRules []*telemetryRule
	keys              map[string]*credential
	awsManaged        map[string]*managedPolicy
	seq               int
	packs             map[string]string // conformance packs: account/region/name or org/region/name -> ARN
	packTimes         map[string]time.Time
	policies          map[string]*scp   // service control policies by id
	imported          map[string]string // Security Hub findings: account/id -> RecordState
	queues            map[string]*queue // SQS queues by ARN
	buses             map[string]*bus   // EventBridge buses by ARN
	ebDelay           time.Duration     // eventbridge_delay
	logDelay          time.Duration     // log_delivery_delay
	// evaluations are AWS Config custom rule results: account/region/rule -> resourceType/resourceId -> latest.
	evaluations map[string]map[string]*evaluation
}

type credential struct {
	accessKey, secret, token string
	account                  string
	arn                      string
	userID                   string
	expires                  time.Time // zero: long-term key
}

type account struct {
	id, name, email, state, ou string
	tags                       map[string]string
	regions                    map[string]bool
	regionList                 []string
	joined                     time.Time
	trails                     map[string]*trail    // owned trails by ARN
	logGroups                  map[string]*logGroup // by region + "\x00" + name
	roles                      map[string]*role     // by lower-case name
	alarms                     map[string]*alarm    // by region + "\x00" + name
	topics                     map[string]*topic    // by ARN
	securityGroups             []securityGroup      // EC2 security groups created through the API
	securityLake               map[string]string    // region -> its CLOUD_TRAIL_MGMT source's status
	channel                    string               // scenario telemetry_channel: "" follows the rules (channels.go)
	lakeStores                 []*lakeStore
	evaluation                 *telemetryEvaluation // GetTelemetryEvaluationStatus
	telemetryRules             []*telemetryRule
	placementGroups            []string // EC2 placement groups, region + "\x00" + name
	policies                   map[string]*managedPolicy
	faults                     []*faultRule
	history                    []historyEvent // CloudTrail event history (history.go)
}

type trail struct {
	name, home, owner, arn string
	multi, org, logging    bool
	mgmtEvents, custom     bool
	logGroupArn, roleArn   string
	s3Bucket               string
	s3Prefix, kmsKeyID     string
	// globalEvents and validation keep what CreateTrail/UpdateTrail set: IncludeGlobalServiceEvents defaults to
	// true, EnableLogFileValidation to false (CloudTrail API reference, CreateTrail).
	globalEvents, validation bool
	tags                     map[string]string
	created                  time.Time
	startLogging             time.Time
	stopLogging              time.Time

	healthy      bool
	healthySince time.Time
	lastDelivery time.Time
	lastError    string

	pinned   bool
	pinLast  time.Time
	pinError string
	// loseEvents: a silent fault, no record reaches the log group (scenario lose_events).
	loseEvents bool
}

type logGroup struct {
	name, region string
	created      time.Time
	retention    int // 0: never expire
	class        string
	kms          string
	tags         map[string]string
	filters      []*metricFilter // by name
	// events are the CloudTrail records delivered to the group (the latest maxGroupEvents), in delivery order.
	events []logEvent
	// seeded are streams the scenario says received events before the simulation began (a telemetry rule's group:
	// delivering for months), by name, with their last ingestion.
	seeded map[string]time.Time
	// incoming is what the group ingested, by minute (Unix seconds of its start): the AWS/Logs IncomingBytes and
	// IncomingLogEvents metrics GetMetricData serves. The scenario's daily_bytes are put at each day's start.
	incoming map[int64]ingested
}

// ingested is a minute's (or a seeded day's) ingestion into a log group.
type ingested struct{ bytes, events int64 }

// ingest counts an ingestion into the group's metrics.
func (g *logGroup) ingest(at time.Time, bytes, events int64) {
	if g.incoming == nil {
		g.incoming = map[int64]ingested{}
	}
	k := at.UTC().Truncate(time.Minute).Unix()
	v := g.incoming[k]
	v.bytes += bytes
	v.events += events
	g.incoming[k] = v
}

// seedDaily puts the scenario's daily_bytes (oldest first, the last one yesterday, UTC days before now0) into the group's
// metrics, one record's worth of events per 1,000 bytes.
func (g *logGroup) seedDaily(daily []int64, now0 time.Time) {
	today := now0.UTC().Truncate(24 * time.Hour)
	for i, b := range daily {
		if b > 0 {
			g.ingest(today.AddDate(0, 0, i-len(daily)), b, max(1, b/1000))
		}
	}
}

// securityGroup is an EC2 security group (the proof's write marker is a dry run that creates none).
type securityGroup struct {
	id, name, description, region string
}

// logEvent is one record in a log group: visible to FilterLogEvents from ingestion on.
type logEvent struct {
	seq       uint64 // increasing: a page token names the next record by it, so trimming never shifts a page
	stream    string
	timestamp time.Time // the call's eventTime
	ingestion time.Time
	message   string
	id        string
}

// maxGroupEvents bounds the records a group keeps, so that a long run or a large organization stays in memory.
const maxGroupEvents = 100000

type role struct {
	name, path, id, arn string
	created             time.Time
	// changed is when the role or its policies last changed; CloudTrail can use the change only once IAM has
	// propagated it (changed + the scenario's iam_propagation_delay).
	changed  time.Time
	trust    string
	inline   map[string]string
	attached []string
	tags     map[string]string
}

type managedPolicy struct {
	arn, name, id string
	doc           string
	created       time.Time
	attachments   int
}

// clock is scenario time: a base instant that advances with real time, plus offsets added through the admin API.
type clock struct {
	mu     sync.Mutex
	base   time.Time
	start  time.Time
	offset time.Duration
	now    func() time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(c.now().Sub(c.start) + c.offset).UTC()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

func (w *world) nextID(prefix string) string {
	w.seq++
	return fmt.Sprintf("%s%016X", prefix, w.seq)
}

func (w *world) arn(service, region, acct, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", w.part.Name, service, region, acct, resource)
}

func (w *world) trailARN(region, acct, name string) string {
	return w.arn("cloudtrail", region, acct, "trail/"+name)
}

func (w *world) logGroupARN(region, acct, name string) string {
	return w.arn("logs", region, acct, "log-group:"+name+":*")
}

func (w *world) roleARN(acct, path, name string) string {
	if path == "" {
		path = "/"
	}
	return w.arn("iam", "", acct, "role"+path+name)
}

// AccessKeyFor returns the deterministic long-term access key id of an account's simulated principal.
func AccessKeyFor(accountID string) string { return "AKIASIM" + accountID + "X" }

func secretFor(accountID string) string { return "sim-secret-" + accountID }

func newWorld(sc *Scenario, now func() time.Time) (*world, error) {
	base := now()
	if sc.Now != "" {
		base, _ = time.Parse(time.RFC3339, sc.Now)
	}
	w := &world{
		part:        mustPartition(sc.Partition),
		clock:       &clock{base: base.UTC(), start: now(), now: now},
		firstDelay:  5 * time.Minute,
		org:         sc.Organization,
		accounts:    map[string]*account{},
		keys:        map[string]*credential{},
		awsManaged:  map[string]*managedPolicy{},
		packs:       map[string]string{},
		packTimes:   map[string]time.Time{},
		policies:    map[string]*scp{},
		imported:    map[string]string{},
		queues:      map[string]*queue{},
		buses:       map[string]*bus{},
		ebDelay:     time.Duration(sc.EventBridgeDelay),
		evaluations: map[string]map[string]*evaluation{},
		s3buckets:   map[string]*s3Bucket{},
	}
	if sc.FirstDeliveryDelay != nil {
		w.firstDelay = time.Duration(*sc.FirstDeliveryDelay)
	}
	w.propDelay = time.Duration(sc.IAMPropagationDelay)
	w.logDelay = 5 * time.Minute
	if sc.LogDeliveryDelay != nil {
		w.logDelay = time.Duration(*sc.LogDeliveryDelay)
	}
	t0 := base.Add(-400 * 24 * time.Hour).UTC()
	for _, mp := range awsManagedPolicies {
		arn := fmt.Sprintf("arn:%s:iam::aws:policy/%s", w.part.Name, mp[0])
		w.awsManaged[arn] = &managedPolicy{arn: arn, name: mp[0], id: w.nextID("ANPA"), doc: mp[1], created: t0}
	}
	for _, sa := range sc.Accounts {
		a := &account{
			id: sa.ID, name: sa.Name, email: sa.Email, state: sa.State, ou: sa.OU, tags: sa.Tags,
			regions: map[string]bool{}, regionList: append([]string(nil), sa.Regions...), joined: t0,
			trails: map[string]*trail{}, logGroups: map[string]*logGroup{}, roles: map[string]*role{},
			policies: map[string]*managedPolicy{}, alarms: map[string]*alarm{}, topics: map[string]*topic{},
		}
		if a.name == "" {
			a.name = "account-" + a.id
		}
		if a.email == "" {
			a.email = "aws+" + a.id + "@example.com"
		}
		sort.Strings(a.regionList)
		for _, r := range sa.Regions {
			a.regions[r] = true
		}
		w.accounts[a.id] = a
		w.order = append(w.order, a.id)
		w.keys[AccessKeyFor(a.id)] = &credential{accessKey: AccessKeyFor(a.id), secret: secretFor(a.id), account: a.id,
			arn: w.arn("iam", "", a.id, "user/trailwatch-sim"), userID: "AIDASIM" + a.id}
		for _, f := range sa.Faults {
			fr := newFaultRule(f)
			if fr.account == "" {
				fr.account = a.id
			}
			a.faults = append(a.faults, fr)
		}
		for _, m := range sa.ManagedPolicies {
			doc, _ := permissionDocument(m.Document)
			arn := w.arn("iam", "", a.id, "policy/"+m.Name)
			a.policies[arn] = &managedPolicy{arn: arn, name: m.Name, id: w.nextID("ANPA"), doc: doc, created: t0}
		}
		for _, g := range sa.LogGroups {
			lg := &logGroup{name: g.Name, region: g.Region, created: t0, class: g.Class, tags: g.Tags}
			if lg.class == "" {
				lg.class = "STANDARD"
			}
			if g.RetentionDays != nil {
				lg.retention = *g.RetentionDays
			}
			lg.seedDaily(g.DailyBytes, w.clock.Now())
			a.logGroups[g.Region+"\x00"+g.Name] = lg
		}
		if err := w.monitoring(a, sa, t0); err != nil {
			return nil, err
		}
		if err := w.telemetry(a, sa, t0, w.clock.Now()); err != nil {
			return nil, err
		}
		if err := w.alternates(a, sa); err != nil {
			return nil, err
		}
		for _, sr := range sa.Roles {
			trust, _ := trustDocument(sr.Trust, sc.Organization, a.id, w.part.Name)
			perm, _ := permissionDocument(sr.Policy)
			r := &role{name: sr.Name, path: sr.Path, id: w.nextID("AROA"), created: t0, trust: trust, inline: map[string]string{}}
			if r.path == "" {
				r.path = "/"
			}
			r.arn = w.roleARN(a.id, r.path, r.name)
			if perm != "" {
				r.inline["CloudTrailDelivery"] = perm
			}
			for _, p := range sr.Attached {
				arn := p
				if !strings.HasPrefix(p, "arn:") {
					arn = w.arn("iam", "", a.id, "policy/"+p)
					if _, ok := a.policies[arn]; !ok {
						arn = fmt.Sprintf("arn:%s:iam::aws:policy/%s", w.part.Name, p)
					}
				}
				mp := w.policyByARN(a, arn)
				if mp == nil {
					return nil, fmt.Errorf("line %d: role %s: attached policy %q is neither a managed policy of account %s nor a known AWS managed policy", sr.Line, sr.Name, p, a.id)
				}
				mp.attachments++
				r.attached = append(r.attached, arn)
			}
			a.roles[strings.ToLower(r.name)] = r
		}
	}
	// Access roles, created after the accounts so that trust can name the management account.
	for _, sa := range sc.Accounts {
		a := w.accounts[sa.ID]
		name := ""
		if sa.AccessRole != nil {
			name = *sa.AccessRole
		} else if sc.Organization != nil && sc.Organization.ManagementAccount != a.id {
			name = "OrganizationAccountAccessRole"
		}
		if name == "" || a.roles[strings.ToLower(name)] != nil {
			continue
		}
		trusted := ""
		if sc.Organization != nil {
			trusted = sc.Organization.ManagementAccount
		}
		if sa.AccessRoleTrust != "" {
			trusted = sa.AccessRoleTrust
		}
		if trusted == "" {
			continue
		}
		trust := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, w.part.Name, trusted)
		r := &role{name: name, path: "/", id: w.nextID("AROA"), created: t0, trust: trust, inline: map[string]string{},
			attached: []string{fmt.Sprintf("arn:%s:iam::aws:policy/AdministratorAccess", w.part.Name)}}
		r.arn = w.roleARN(a.id, "/", name)
		a.roles[strings.ToLower(name)] = r
	}
	now0 := w.clock.Now()
	if err := w.orgTelemetry(t0, now0); err != nil {
		return nil, err
	}
	for _, sa := range sc.Accounts {
		a := w.accounts[sa.ID]
		for _, st := range sa.Trails {
			t := &trail{name: st.Name, home: st.HomeRegion, owner: a.id, multi: st.MultiRegion, org: st.Organization,
				logging: st.Logging == nil || *st.Logging, mgmtEvents: st.ManagementEvents == nil || *st.ManagementEvents,
				s3Bucket: st.S3Bucket, tags: st.Tags, created: t0, globalEvents: true}
			t.custom = !t.mgmtEvents
			if t.s3Bucket == "" {
				t.s3Bucket = "aws-cloudtrail-logs-" + a.id
			}
			t.arn = w.trailARN(t.home, a.id, t.name)
			if t.logging {
				t.startLogging = t0
			} else {
				t.startLogging, t.stopLogging = t0, now0.Add(-48*time.Hour)
			}
			if st.LogGroup != "" {
				t.logGroupArn = st.LogGroup
				if !strings.HasPrefix(st.LogGroup, "arn:") {
					t.logGroupArn = w.logGroupARN(t.home, a.id, st.LogGroup)
				}
			}
			if st.Role != "" {
				t.roleArn = st.Role
				if !strings.HasPrefix(st.Role, "arn:") {
					path := "/"
					if r := a.roles[strings.ToLower(st.Role)]; r != nil {
						path = r.path
					}
					t.roleArn = w.roleARN(a.id, path, st.Role)
				}
			}
			if _, dup := a.trails[t.arn]; dup {
				return nil, fmt.Errorf("line %d: trail %s is listed twice in account %s and region %s", st.Line, t.name, a.id, t.home)
			}
			t.loseEvents = st.LoseEvents
			a.trails[t.arn] = t
			if st.S3Delivery != nil {
				if err := w.s3Delivery(a, t, st.S3Delivery, now0); err != nil {
					return nil, err
				}
			}
			ok, why := w.health(t)
			if ok {
				// Delivering for months; the latest delivery is two minutes old.
				t.healthy, t.healthySince = true, now0.Add(-90*24*time.Hour-w.firstDelay+3*time.Minute)
			} else {
				t.lastError = why
			}
			if st.Delivery != nil {
				last, never, _ := parsePinTime(st.Delivery.Last, now0)
				t.pinned, t.pinError = true, st.Delivery.Error
				if !never {
					t.pinLast = last
					if last.IsZero() { // no `last` given: keep the physics' time, pin the error only
						t.pinLast = t.deliveredAsOf(now0, w.firstDelay)
					}
				}
			}
		}
	}
	return w, nil
}

var awsManagedPolicies = [][2]string{
	{"AdministratorAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	{"CloudWatchLogsFullAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:*"],"Resource":"*"}]}`},
	{"ReadOnlyAccess", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Describe*","cloudtrail:Get*","cloudtrail:List*","logs:Describe*","logs:Get*","iam:Get*","iam:List*"],"Resource":"*"}]}`},
}

func (w *world) policyByARN(a *account, arn string) *managedPolicy {
	if mp := w.awsManaged[arn]; mp != nil {
		return mp
	}
	if a != nil {
		return a.policies[arn]
	}
	return nil
}

// trustDocument expands the `trust` shorthand of a role: "cloudtrail" (the documented trust policy), "none", an
// account id, or a JSON document.
func trustDocument(s string, org *Organization, acct, part string) (string, error) {
	switch strings.TrimSpace(s) {
	case "", "cloudtrail":
		// CTUG send-cloudtrail-events-to-cloudwatch-logs: the role CloudTrail assumes trusts cloudtrail.amazonaws.com.
		return `{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, nil
	case "none":
		return `{"Version":"2012-10-17","Statement":[]}`, nil
	case "management":
		if org == nil {
			return "", fmt.Errorf("trust: management needs an organization")
		}
		s = org.ManagementAccount
	}
	if accountIDRe.MatchString(s) {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"sts:AssumeRole"}]}`, part, s), nil
	}
	if strings.HasPrefix(s, "{") {
		if err := checkDocument(s); err != nil {
			return "", err
		}
		return s, nil
	}
	if svc := strings.TrimSpace(s); strings.HasSuffix(svc, ".amazonaws.com") {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":%q},"Action":"sts:AssumeRole"}]}`, svc), nil
	}
	return "", fmt.Errorf("%q: want cloudtrail, none, management, an account id, a service principal or a JSON document", s)
}

// permissionDocument expands the `policy` shorthand of a role: "cloudtrail-delivery" (logs:CreateLogStream and
// logs:PutLogEvents on every log group of the account, as a simplification of the documented policy), "none"/"", or a
// JSON document.
func permissionDocument(s string) (string, error) {
	switch strings.TrimSpace(s) {
	case "", "none":
		return "", nil
	case "cloudtrail-delivery":
		return `{"Version":"2012-10-17","Statement":[{"Sid":"AWSCloudTrailCreateLogStream2014110","Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["arn:*:logs:*:*:log-group:*:log-stream:*"]},{"Sid":"AWSCloudTrailPutLogEvents20141101","Effect":"Allow","Action":["logs:PutLogEvents"],"Resource":["arn:*:logs:*:*:log-group:*:log-stream:*"]}]}`, nil
	case "create-stream-only":
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream"],"Resource":["*"]}]}`, nil
	}
	if strings.HasPrefix(strings.TrimSpace(s), "{") {
		if err := checkDocument(s); err != nil {
			return "", err
		}
		return s, nil
	}
	return "", fmt.Errorf("%q: want cloudtrail-delivery, create-stream-only, none or a JSON document", s)
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(normalizeYAML(v))
	return string(b), err
}

func normalizeYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeYAML(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalizeYAML(x)
		}
	}
	return v
}

// Delivery error texts. AWS does not document the strings GetTrailStatus returns in LatestCloudWatchLogsDeliveryError
// (shared/reference/aws-behaviour.md §3.5, [U]); these are the simulator's own, modelled on the UpdateTrail messages.
const (
	errGroupMissing = "CloudWatch Logs log group not found: the log group %s does not exist."
	errRoleMissing  = "Access denied. The role %s does not exist."
	errRoleTrust    = "Access denied. Check the trust relationships for your role."
	errRoleWrite    = "Access denied. Check the permissions for your role."
)

// health decides whether a trail's CloudWatch Logs pipeline works now, and if not, what delivery error it records.
// A trail that is not logging or not integrated has no error: it simply does not deliver.
func (w *world) health(t *trail) (bool, string) {
	if !t.logging || t.logGroupArn == "" {
		return false, ""
	}
	owner := w.accounts[t.owner]
	name, region, acct, ok := parseLogGroupARN(t.logGroupArn)
	if !ok || acct != t.owner || region != t.home {
		return false, fmt.Sprintf(errGroupMissing, t.logGroupArn)
	}
	if owner.logGroups[region+"\x00"+name] == nil {
		return false, fmt.Sprintf(errGroupMissing, t.logGroupArn)
	}
	r := w.roleByARN(owner, t.roleArn)
	if r == nil {
		return false, fmt.Sprintf(errRoleMissing, t.roleArn)
	}
	// The simulator's own evaluator (deliverycheck.go), not trailwatch's internal/policy: an independent oracle.
	if !roleTrustsService(r.trust, "cloudtrail.amazonaws.com") {
		return false, errRoleTrust
	}
	docs := w.roleDocumentTexts(owner, r)
	streams := []string{fmt.Sprintf("%s_CloudTrail_%s", t.owner, t.home)}
	if t.org && w.org != nil {
		// Organization trails write member accounts' events to streams named o-<org id>_... (CTUG
		// cloudtrail-required-policy-for-cloudwatch-logs); the exact stream name is not documented.
		streams = append(streams, fmt.Sprintf("%s_%s_CloudTrail_%s", w.org.ID, t.owner, t.home))
	}
	for _, s := range streams {
		res := w.arn("logs", region, acct, "log-group:"+name+":log-stream:"+s)
		for _, action := range []string{"logs:CreateLogStream", "logs:PutLogEvents"} {
			if !roleMayWrite(docs, action, res) {
				return false, errRoleWrite
			}
		}
	}
	return true, ""
}

// propagatedAt is when the latest change to the trail's role (created, trust or policies changed) has propagated
// through IAM; zero when it has no role.
func (w *world) propagatedAt(t *trail) time.Time {
	owner := w.accounts[t.owner]
	if owner == nil {
		return time.Time{}
	}
	r := w.roleByARN(owner, t.roleArn)
	if r == nil || r.changed.IsZero() {
		return time.Time{}
	}
	return r.changed.Add(w.propDelay)
}

// roleDocumentTexts are the role's inline and attached policy documents, as JSON text.
func (w *world) roleDocumentTexts(a *account, r *role) []string {
	var docs []string
	names := make([]string, 0, len(r.inline))
	for n := range r.inline {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		docs = append(docs, r.inline[n])
	}
	for _, arn := range r.attached {
		if mp := w.policyByARN(a, arn); mp != nil {
			docs = append(docs, mp.doc)
		}
	}
	return docs
}

func (w *world) roleByARN(a *account, arn string) *role {
	i := strings.LastIndex(arn, "/")
	if i < 0 || !strings.Contains(arn, ":iam::"+a.id+":role/") {
		return nil
	}
	r := a.roles[strings.ToLower(arn[i+1:])]
	if r == nil || r.arn != arn {
		return nil
	}
	return r
}

// parseLogGroupARN splits arn:<partition>:logs:<region>:<account>:log-group:<name>[:*].
func parseLogGroupARN(arn string) (name, region, acct string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[6] == "" {
		return "", "", "", false
	}
	if len(parts) > 8 || (len(parts) == 8 && parts[7] != "*") {
		return "", "", "", false
	}
	return parts[6], parts[3], parts[4], true
}

// deliveredAsOf is the time of the trail's latest CloudWatch Logs delivery at instant now.
func (t *trail) deliveredAsOf(now time.Time, firstDelay time.Duration) time.Time {
	if !t.healthy {
		return t.lastDelivery
	}
	first := t.healthySince.Add(firstDelay)
	if now.Before(first) {
		return t.lastDelivery
	}
	n := now.Sub(first) / deliveryPeriod
	return first.Add(n * deliveryPeriod)
}

// status returns the trail's latest delivery time (zero: never) and error at instant now.
func (w *world) status(t *trail, now time.Time) (time.Time, string) {
	if t.pinned {
		return t.pinLast, t.pinError
	}
	last := t.deliveredAsOf(now, w.firstDelay)
	if t.healthy && !now.Before(t.healthySince.Add(w.firstDelay)) {
		return last, ""
	}
	return last, t.lastError
}

// reconcile re-evaluates every trail's pipeline after a change to the world at instant now: a link that breaks stops
// delivery at that moment and records why; a pipeline that becomes whole delivers first after firstDelay.
func (w *world) reconcile(now time.Time) {
	for _, a := range w.accounts {
		for _, t := range a.trails {
			ok, why := w.health(t)
			switch {
			case ok && !t.healthy:
				// A pipeline that depends on a role change delivers once IAM has propagated it.
				since := now
				if ready := w.propagatedAt(t); ready.After(since) {
					since = ready
				}
				t.healthy, t.healthySince = true, since
				t.pinned = false
			case !ok && t.healthy:
				t.lastDelivery = t.deliveredAsOf(now, w.firstDelay)
				t.healthy, t.lastError = false, why
				t.pinned = false
			case !ok:
				t.lastError = why
			}
		}
	}
}

// reset marks a trail's pipeline as changed, so the next reconcile treats it as newly configured.
func (w *world) reset(t *trail, now time.Time) {
	if t.healthy {
		t.lastDelivery = t.deliveredAsOf(now, w.firstDelay)
	}
	t.healthy = false
	t.pinned = false
}

// visibleTrails lists the trails DescribeTrails shows to account a in region, as AWS keeps them: trails homed here,
// shadows of multi-region trails homed elsewhere, and the organization's trails (owned by the management account).
func (w *world) visibleTrails(a *account, region string, shadows bool) []*trail {
	var out []*trail
	add := func(t *trail) {
		if t.home == region || (shadows && t.multi) {
			out = append(out, t)
		}
	}
	for _, t := range a.trails {
		if t.home == region || shadows {
			add(t)
		}
	}
	if shadows && w.org != nil && a.id != w.org.ManagementAccount {
		if m := w.accounts[w.org.ManagementAccount]; m != nil {
			for _, t := range m.trails {
				if t.org {
					add(t)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].arn < out[j].arn })
	return out
}

func (w *world) inOrg(acct string) bool {
	return w.org != nil && w.accounts[acct] != nil
}

func (w *world) isOrgReader(acct string) bool {
	return w.org != nil && (acct == w.org.ManagementAccount || acct == w.org.DelegatedAdmin)
}
