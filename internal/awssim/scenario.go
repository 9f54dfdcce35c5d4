package awssim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Assumptions are the simulator's extrapolations, each with its default.
type Assumptions struct {
	// MemberSeesOrgDeliveryError: a member account reading an organization trail's status gets
	// LatestCloudWatchLogsDeliveryError too (default false: the field is hidden from members).
	MemberSeesOrgDeliveryError bool `yaml:"member_sees_org_delivery_error,omitempty"`
	// ListTrailsHomeRegionOnly: ListTrails returns only trails homed in the called region (default false: the
	// account's trails in every region). Kept for old scenarios: it is list_trails_scope: home_region.
	ListTrailsHomeRegionOnly bool `yaml:"list_trails_home_region_only,omitempty"`
	// ListTrailsScope is which trails ListTrails returns, since AWS documents only "trails that are in the current
	// account" (aws-behaviour.md §3.2, monitoring-and-events.md §4.5): "account" (default: the account's trails of
	// every region and the organization trails it sees; the reading aws-samples/service-screener-v2 relies on),
	// "region" (what DescribeTrails with shadow trails returns in the called region: moto's reading, which misses
	// single-region trails homed elsewhere), "home_region" (only trails homed in the called region) or
	// "default_regions" (the account's trails except those homed in an opt-in region other than the called one: the
	// CloudTrail guide says only that multi-region trails are copied into an enabled opt-in region, nothing of
	// ListTrails and trails homed there).
	ListTrailsScope string `yaml:"list_trails_scope,omitempty"`
}

func (a Assumptions) listTrailsScope() string {
	if a.ListTrailsScope != "" {
		return a.ListTrailsScope
	}
	if a.ListTrailsHomeRegionOnly {
		return "home_region"
	}
	return "account"
}

// Scenario is the simulated world as written in a scenario file (docs/scenario.md).
type Scenario struct {
	Now                string    `yaml:"now,omitempty"`
	Partition          string    `yaml:"partition,omitempty"`
	Latency            Duration  `yaml:"latency,omitempty"`
	FirstDeliveryDelay *Duration `yaml:"first_delivery_delay,omitempty"`
	// IAMPropagationDelay: how long a created or changed role takes to become usable by CloudTrail.
	IAMPropagationDelay Duration `yaml:"iam_propagation_delay,omitempty"`
	RateLimits          bool     `yaml:"rate_limits,omitempty"`
	// EventBridgeDelay is how long after a captured call its "AWS API Call via CloudTrail" event reaches the bus
	// (real time; 0: at once).
	EventBridgeDelay Duration `yaml:"eventbridge_delay,omitempty"`
	// LogDeliveryDelay is how long after a captured call its CloudTrail record becomes visible in the log groups of the
	// trails that deliver it (FilterLogEvents); default 5m, AWS's stated average ("CloudTrail typically delivers logs
	// within an average of about 5 minutes of an API call", CTUG get-and-view-cloudtrail-log-files). Sim time.
	LogDeliveryDelay *Duration `yaml:"log_delivery_delay,omitempty"`
	// Assumptions switch the behaviours the simulator extrapolates from thin evidence (docs/scenario.md, "What the
	// simulator extrapolates"), so that a test can run both ways.
	Assumptions  Assumptions   `yaml:"assumptions,omitempty"`
	Seed         int64         `yaml:"seed,omitempty"`
	Organization *Organization `yaml:"organization,omitempty"`
	Accounts     []Account     `yaml:"accounts,omitempty"`
	Faults       []Fault       `yaml:"faults,omitempty"`
	// Watch wires continuous mode as trailwatch deploy does, so that trailwatch watch runs against the simulator with
	// nothing to create by hand (docs/scenario.md, "Continuous mode").
	Watch *Watch `yaml:"watch,omitempty"`

	file string
}

// Watch is continuous mode's AWS side in the simulator: in the hub account and region, the event bus "trailwatch"
// admitting every account of the scenario, the queue "trailwatch-events" that a rule on it fills, and a rule on the
// hub's own default bus to that queue; in every other account and enabled region, a rule on the default bus
// forwarding "AWS API Call via CloudTrail" and region opt-in events to the hub bus. (Deploy's member rule narrows the
// forwarded events to the names that can move a verdict; here every API call event is forwarded, which the watcher
// ignores at no AWS read.)
type Watch struct {
	Hub    string `yaml:"hub,omitempty"`    // default: the organization's management account, else the first account
	Region string `yaml:"region,omitempty"` // default: us-east-1
	Line   int    `yaml:"-"`
}

// WatchQueue is the name of the queue the watch section creates.
const WatchQueue = "trailwatch-events"

// Organization is the optional AWS Organization.
type Organization struct {
	ID                string `yaml:"id,omitempty"`
	ManagementAccount string `yaml:"management_account,omitempty"`
	DelegatedAdmin    string `yaml:"delegated_admin,omitempty"`
	EmptyPages        bool   `yaml:"empty_pages,omitempty"` // ListAccounts answers an empty page with a token before each page
	// TelemetryRules are organization telemetry rules for AWS::CloudTrail (CreateTelemetryRuleForOrganization), held by
	// the management account and applied in every account of the organization while TelemetryStatus (the
	// organization's evaluation status: default RUNNING when it has rules, else NOT_STARTED) is RUNNING. Regions are
	// checked against the management account's.
	TelemetryRules             []TelemetryRule `yaml:"telemetry_rules,omitempty"`
	TelemetryStatus            string          `yaml:"telemetry_status,omitempty"`
	TelemetryEvaluationRegions []string        `yaml:"telemetry_evaluation_regions,omitempty"`
	Line                       int             `yaml:"-"`
}

// Account is one AWS account.
type Account struct {
	ID              string            `yaml:"id,omitempty"`
	Name            string            `yaml:"name,omitempty"`
	Email           string            `yaml:"email,omitempty"`
	State           string            `yaml:"state,omitempty"`
	OU              string            `yaml:"ou,omitempty"`
	Tags            map[string]string `yaml:"tags,omitempty"`
	Regions         []string          `yaml:"regions,omitempty"`
	AccessRole      *string           `yaml:"access_role,omitempty"`
	AccessRoleTrust string            `yaml:"access_role_trust,omitempty"`
	Trails          []Trail           `yaml:"trails,omitempty"`
	LogGroups       []LogGroup        `yaml:"log_groups,omitempty"`
	Roles           []Role            `yaml:"roles,omitempty"`
	ManagedPolicies []ManagedPolicy   `yaml:"managed_policies,omitempty"`
	Alarms          []Alarm           `yaml:"alarms,omitempty"`
	Topics          []Topic           `yaml:"topics,omitempty"`
	Faults          []Fault           `yaml:"faults,omitempty"`
	// TelemetryRules are CloudWatch telemetry enablement rules for AWS::CloudTrail (capture without a trail), and
	// TelemetryStatus the account's evaluation status (default RUNNING when it has rules, else NOT_STARTED).
	TelemetryRules  []TelemetryRule `yaml:"telemetry_rules,omitempty"`
	TelemetryStatus string          `yaml:"telemetry_status,omitempty"`
	// TelemetryEvaluationRegions are the regions evaluation was started in, the first its home region (default:
	// every region, started with AllRegions from the account's first region).
	TelemetryEvaluationRegions []string `yaml:"telemetry_evaluation_regions,omitempty"`
	// TelemetryChannel is the account's CloudTrail service-linked channel for CloudWatch (channels.go): by default it
	// follows the running rules; absent removes it, write_only, read_only or none narrows what it carries.
	TelemetryChannel string `yaml:"telemetry_channel,omitempty"`
	// SecurityLake and EventDataStores keep the account's CloudTrail events outside CloudWatch Logs (alternates.go).
	SecurityLake    []SecurityLake   `yaml:"security_lake,omitempty"`
	EventDataStores []EventDataStore `yaml:"event_data_stores,omitempty"`
	Line            int              `yaml:"-"`
}

// TelemetryRule is an AWS::CloudTrail telemetry rule delivering to CloudWatch Logs (log group
// aws/cloudtrail/managementevents in each region it applies in, created with it unless no_group).
type TelemetryRule struct {
	Name       string   `yaml:"name"`
	HomeRegion string   `yaml:"home_region,omitempty"` // default the account's first region
	AllRegions bool     `yaml:"all_regions,omitempty"`
	Regions    []string `yaml:"regions,omitempty"`
	// Events is which management events its selectors keep: all (default), write_only, read_only or none.
	Events        string `yaml:"events,omitempty"`
	RetentionDays int    `yaml:"retention_days,omitempty"` // default 365
	NoGroup       bool   `yaml:"no_group,omitempty"`
	// LastDelivery is when its groups last received an event before the simulation began: an age ("30h"), a time, or
	// "never"; default two minutes ago (delivering).
	LastDelivery string `yaml:"last_delivery,omitempty"`
	// DailyBytes are what each of the rule's groups ingested on the last days before the simulation began (as a log
	// group's daily_bytes).
	DailyBytes []int64 `yaml:"daily_bytes,omitempty"`
	Line       int     `yaml:"-"`
}

// Trail is one CloudTrail trail, owned by the account it is listed under.
type Trail struct {
	Name             string            `yaml:"name,omitempty"`
	HomeRegion       string            `yaml:"home_region,omitempty"`
	MultiRegion      bool              `yaml:"multi_region,omitempty"`
	Organization     bool              `yaml:"organization,omitempty"`
	Logging          *bool             `yaml:"logging,omitempty"`
	ManagementEvents *bool             `yaml:"management_events,omitempty"`
	LogGroup         string            `yaml:"log_group,omitempty"`
	Role             string            `yaml:"role,omitempty"`
	S3Bucket         string            `yaml:"s3_bucket"`
	Tags             map[string]string `yaml:"tags,omitempty"`
	Delivery         *DeliveryPin      `yaml:"delivery,omitempty"`
	// LoseEvents is a silent fault: the trail's configuration and status look right, yet no record reaches its log
	// group (what only a proof of capture finds).
	LoseEvents bool `yaml:"lose_events,omitempty"`
	// S3Delivery is what the trail delivered to its bucket on the days before the simulation began (the cost estimate
	// reads it); nil: nothing.
	S3Delivery *S3Delivery `yaml:"s3_delivery,omitempty"`
	Line       int         `yaml:"-"`
}

// S3Delivery is a trail's past delivery to S3: gzip-compressed .json.gz files of realistic records under
// [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/ (CloudTrail User Guide, "Finding your CloudTrail log
// files").
type S3Delivery struct {
	// EventsPerDay are the events delivered on each day, oldest first, the last one yesterday (UTC), spread evenly
	// over the regions the trail captures.
	EventsPerDay []int `yaml:"events_per_day"`
	// BucketAccount owns the bucket when it is not the trail's account: the trail's account may not read it.
	BucketAccount string `yaml:"bucket_account,omitempty"`
	// BucketRegion is the bucket's region (default the trail's home region).
	BucketRegion string `yaml:"bucket_region,omitempty"`
	// KMS: the objects are encrypted with a key the reader may not use (GetObject is refused).
	KMS  bool `yaml:"kms,omitempty"`
	Line int  `yaml:"-"`
}

// DeliveryPin overrides the delivery physics of a trail until its configuration changes.
type DeliveryPin struct {
	Last  string `yaml:"last,omitempty"`
	Error string `yaml:"error,omitempty"`
	Line  int    `yaml:"-"`
}

// LogGroup is one CloudWatch Logs log group.
type LogGroup struct {
	Name          string            `yaml:"name,omitempty"`
	Region        string            `yaml:"region,omitempty"`
	RetentionDays *int              `yaml:"retention_days,omitempty"`
	Class         string            `yaml:"class,omitempty"`
	Tags          map[string]string `yaml:"tags,omitempty"`
	MetricFilters []MetricFilter    `yaml:"metric_filters,omitempty"`
	// CISMonitoring creates the whole CIS monitoring chain on the group: a metric filter with the published pattern
	// for each item, an alarm on its metric (Sum >= 1 over 5 minutes) and a topic with a confirmed email subscriber.
	CISMonitoring *CISMonitoring `yaml:"cis_monitoring,omitempty"`
	// DailyBytes are the bytes the group ingested on each of the last days before the simulation began, oldest first,
	// the last one yesterday (UTC): the AWS/Logs IncomingBytes metric GetMetricData serves for those days.
	DailyBytes []int64 `yaml:"daily_bytes,omitempty"`
	Line       int     `yaml:"-"`
}

// MetricFilter is a CloudWatch Logs metric filter on the log group it is listed under.
type MetricFilter struct {
	Name    string `yaml:"name,omitempty"`
	Pattern string `yaml:"pattern,omitempty"`
	// Metric is "Namespace/MetricName".
	Metric string `yaml:"metric,omitempty"`
	// Value is the metric value per matching event; default "1".
	Value string `yaml:"value,omitempty"`
	Line  int    `yaml:"-"`
}

// CISMonitoring generates the CIS chain on a log group.
type CISMonitoring struct {
	// Topic is the SNS topic's name in the group's region (created with a confirmed email subscription when the
	// account's topics do not list it); default cis-alarms.
	Topic string `yaml:"topic,omitempty"`
	// Skip lists items (CIS numbers such as "4.3", or control ids) to leave out.
	Skip []string `yaml:"skip,omitempty"`
	Line int      `yaml:"-"`
}

// Alarm is a CloudWatch metric alarm.
type Alarm struct {
	Name   string `yaml:"name,omitempty"`
	Region string `yaml:"region,omitempty"`
	// Metric is "Namespace/MetricName".
	Metric            string   `yaml:"metric,omitempty"`
	Statistic         string   `yaml:"statistic,omitempty"`  // default Sum
	Comparison        string   `yaml:"comparison,omitempty"` // default GreaterThanOrEqualToThreshold
	Threshold         *float64 `yaml:"threshold,omitempty"`  // default 1
	Period            int      `yaml:"period,omitempty"`     // default 300
	EvaluationPeriods int      `yaml:"evaluation_periods,omitempty"`
	DatapointsToAlarm int      `yaml:"datapoints_to_alarm,omitempty"`
	ActionsEnabled    *bool    `yaml:"actions_enabled,omitempty"` // default true
	// Actions are SNS topics: a name (this account and the alarm's region) or an ARN.
	Actions []string `yaml:"actions,omitempty"`
	Line    int      `yaml:"-"`
}

// Topic is an SNS topic with its subscriptions.
type Topic struct {
	Name          string         `yaml:"name,omitempty"`
	Region        string         `yaml:"region,omitempty"`
	Subscriptions []Subscription `yaml:"subscriptions,omitempty"`
	Line          int            `yaml:"-"`
}

// Subscription is a subscription to a topic. Confirmed defaults to what AWS does on Subscribe: email and http(s)
// endpoints, and endpoints in another account (an SQS queue, a Lambda function), wait for confirmation; the others
// are confirmed at once.
type Subscription struct {
	Protocol  string `yaml:"protocol,omitempty"`
	Endpoint  string `yaml:"endpoint,omitempty"`
	Confirmed *bool  `yaml:"confirmed,omitempty"`
	Line      int    `yaml:"-"`
}

// Role is one IAM role.
type Role struct {
	Name     string   `yaml:"name,omitempty"`
	Path     string   `yaml:"path,omitempty"`
	Trust    string   `yaml:"trust,omitempty"`
	Policy   string   `yaml:"policy,omitempty"`
	Attached []string `yaml:"attached,omitempty"`
	Line     int      `yaml:"-"`
}

// ManagedPolicy is a customer managed IAM policy of an account.
type ManagedPolicy struct {
	Name     string `yaml:"name,omitempty"`
	Document string `yaml:"document,omitempty"`
	Line     int    `yaml:"-"`
}

// Fault makes matching calls fail or slow down.
type Fault struct {
	Operation    string   `yaml:"operation,omitempty"` // service:Operation, service:*, or *
	Account      string   `yaml:"account,omitempty"`
	Region       string   `yaml:"region,omitempty"`
	Resource     string   `yaml:"resource,omitempty"` // trail name/ARN, log group or role name the call names; * wildcards
	Error        string   `yaml:"error,omitempty"`
	Message      string   `yaml:"message,omitempty"`
	Rate         *float64 `yaml:"rate,omitempty"`
	ThrottleRate float64  `yaml:"throttle_rate,omitempty"`
	Count        int      `yaml:"count,omitempty"`
	// After lets the first N matching calls through before the fault applies (a listing that breaks off part-way).
	After   int      `yaml:"after,omitempty"`
	Latency Duration `yaml:"latency,omitempty"`
	Line    int      `yaml:"-"`
}

// Duration is a time.Duration written as Go duration text, with `d` for days allowed ("2d", "26h", "20ms").
type Duration time.Duration

// UnmarshalYAML reads a duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes a duration as Go duration text.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// Marshal writes the scenario as YAML that ParseScenario reads back.
func (sc *Scenario) Marshal() ([]byte, error) { return yaml.Marshal(sc) }

// ParseDuration parses Go duration text, also accepting a whole number of days ("3d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: want for example 20ms, 26h or 3d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid duration %q: want for example 20ms, 26h or 3d", s)
	}
	return v, nil
}

// The types below record the line they start on and reject keys they do not know.
func (o *Organization) UnmarshalYAML(n *yaml.Node) error   { return strictDecode(n, o, &o.Line) }
func (a *Account) UnmarshalYAML(n *yaml.Node) error        { return strictDecode(n, a, &a.Line) }
func (t *Trail) UnmarshalYAML(n *yaml.Node) error          { return strictDecode(n, t, &t.Line) }
func (p *DeliveryPin) UnmarshalYAML(n *yaml.Node) error    { return strictDecode(n, p, &p.Line) }
func (g *LogGroup) UnmarshalYAML(n *yaml.Node) error       { return strictDecode(n, g, &g.Line) }
func (r *Role) UnmarshalYAML(n *yaml.Node) error           { return strictDecode(n, r, &r.Line) }
func (m *ManagedPolicy) UnmarshalYAML(n *yaml.Node) error  { return strictDecode(n, m, &m.Line) }
func (f *Fault) UnmarshalYAML(n *yaml.Node) error          { return strictDecode(n, f, &f.Line) }
func (r *TelemetryRule) UnmarshalYAML(n *yaml.Node) error  { return strictDecode(n, r, &r.Line) }
func (d *S3Delivery) UnmarshalYAML(n *yaml.Node) error     { return strictDecode(n, d, &d.Line) }
func (l *SecurityLake) UnmarshalYAML(n *yaml.Node) error   { return strictDecode(n, l, &l.Line) }
func (e *EventDataStore) UnmarshalYAML(n *yaml.Node) error { return strictDecode(n, e, &e.Line) }

// The monitoring chain's and the watch's types too (field trial: unknown keys on topics and alarms were accepted, and
// their errors said "line 0").
func (w *Watch) UnmarshalYAML(n *yaml.Node) error         { return strictDecode(n, w, &w.Line) }
func (f *MetricFilter) UnmarshalYAML(n *yaml.Node) error  { return strictDecode(n, f, &f.Line) }
func (c *CISMonitoring) UnmarshalYAML(n *yaml.Node) error { return strictDecode(n, c, &c.Line) }
func (a *Alarm) UnmarshalYAML(n *yaml.Node) error         { return strictDecode(n, a, &a.Line) }
func (t *Topic) UnmarshalYAML(n *yaml.Node) error         { return strictDecode(n, t, &t.Line) }
func (s *Subscription) UnmarshalYAML(n *yaml.Node) error  { return strictDecode(n, s, &s.Line) }

// strictDecode decodes a mapping node into out (a pointer to a struct with yaml tags), rejecting unknown keys, and
// records the node's line. Fields of type string accept a nested mapping or sequence too, stored as JSON, so that a
// policy document can be written inline.
func strictDecode(n *yaml.Node, out any, line *int) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping, got %s", n.Line, kindName(n))
	}
	rv := reflect.ValueOf(out).Elem()
	rt := rv.Type()
	fields := map[string]int{}
	var known []string
	for i := 0; i < rt.NumField(); i++ {
		tag := strings.Split(rt.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		fields[tag] = i
		known = append(known, tag)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		idx, ok := fields[k.Value]
		if !ok {
			return fmt.Errorf("line %d: unknown field %q (known: %s)", k.Line, k.Value, strings.Join(known, ", "))
		}
		f := rv.Field(idx)
		if f.Kind() == reflect.String && (v.Kind == yaml.MappingNode || v.Kind == yaml.SequenceNode) {
			var anyv any
			if err := v.Decode(&anyv); err != nil {
				return fmt.Errorf("line %d: %s: %w", v.Line, k.Value, err)
			}
			js, err := jsonOf(anyv)
			if err != nil {
				return fmt.Errorf("line %d: %s: %w", v.Line, k.Value, err)
			}
			f.SetString(js)
			continue
		}
		if err := v.Decode(f.Addr().Interface()); err != nil {
			var te *yaml.TypeError
			if errors.As(err, &te) {
				return fmt.Errorf("field %q: %s", k.Value, strings.Join(te.Errors, "; "))
			}
			if strings.HasPrefix(err.Error(), "line ") {
				return err
			}
			return fmt.Errorf("line %d: %s: %w", v.Line, k.Value, err)
		}
	}
	*line = n.Line
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// LoadScenario reads and validates a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return ParseScenario(path, data)
}

// ParseScenario parses and validates scenario text; name is used in error messages.
func ParseScenario(name string, data []byte) (*Scenario, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty scenario: want at least `accounts:`", name)
	}
	top := root.Content[0]
	var line int
	sc := &Scenario{file: name}
	if err := strictDecode(top, sc, &line); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := sc.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return sc, nil
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	orgIDRe     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	trailNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$`)
	logGroupRe  = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]{1,512}$`)
	roleNameRe  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

func (sc *Scenario) validate() error {
	if sc.Partition == "" {
		sc.Partition = "aws"
	}
	part, ok := partitionOf(sc.Partition)
	if !ok {
		return fmt.Errorf("partition %q: want aws, aws-us-gov or aws-cn", sc.Partition)
	}
	if sc.Now != "" {
		if _, err := time.Parse(time.RFC3339, sc.Now); err != nil {
			return fmt.Errorf("now %q: want an RFC 3339 time such as 2026-11-22T12:00:00Z", sc.Now)
		}
	}
	switch sc.Assumptions.ListTrailsScope {
	case "", "account", "region", "home_region", "default_regions":
	default:
		return fmt.Errorf("assumptions.list_trails_scope %q: want account, region, home_region or default_regions", sc.Assumptions.ListTrailsScope)
	}
	if len(sc.Accounts) == 0 {
		return errors.New("no accounts: a scenario needs at least one account under `accounts:`")
	}
	seen := map[string]int{}
	for i := range sc.Accounts {
		a := &sc.Accounts[i]
		if !accountIDRe.MatchString(a.ID) {
			return fmt.Errorf("line %d: account id %q: want 12 digits, quoted (\"111111111111\")", a.Line, a.ID)
		}
		if prev, dup := seen[a.ID]; dup {
			return fmt.Errorf("line %d: account %s is listed twice (first at line %d)", a.Line, a.ID, prev)
		}
		seen[a.ID] = a.Line
		switch a.State {
		case "":
			a.State = "ACTIVE"
		case "ACTIVE", "SUSPENDED", "PENDING_ACTIVATION", "PENDING_CLOSURE", "CLOSED":
		default:
			return fmt.Errorf("line %d: account %s state %q: want ACTIVE, SUSPENDED, PENDING_ACTIVATION, PENDING_CLOSURE or CLOSED", a.Line, a.ID, a.State)
		}
		if len(a.Regions) == 0 {
			a.Regions = append([]string(nil), part.Defaults...)
		}
		regions := map[string]bool{}
		for _, r := range a.Regions {
			if !part.Known(r) {
				return fmt.Errorf("line %d: account %s: region %q is not a region of partition %s", a.Line, a.ID, r, sc.Partition)
			}
			regions[r] = true
		}
		for j := range a.Trails {
			t := &a.Trails[j]
			if !trailNameRe.MatchString(t.Name) || strings.Contains(t.Name, "..") {
				return fmt.Errorf("line %d: trail name %q: want 3-128 letters, digits, '.', '_' or '-', starting and ending with a letter or digit", t.Line, t.Name)
			}
			if t.HomeRegion == "" {
				return fmt.Errorf("line %d: trail %s: home_region is required", t.Line, t.Name)
			}
			if !regions[t.HomeRegion] {
				return fmt.Errorf("line %d: trail %s: home_region %s is not an enabled region of account %s", t.Line, t.Name, t.HomeRegion, a.ID)
			}
			if t.Organization && (sc.Organization == nil || sc.Organization.ManagementAccount != a.ID) {
				return fmt.Errorf("line %d: trail %s: organization trails belong to the management account; list it under the organization's management_account", t.Line, t.Name)
			}
			if t.Role != "" && t.LogGroup == "" {
				return fmt.Errorf("line %d: trail %s: a role without a log_group is rejected by CloudTrail; set log_group too", t.Line, t.Name)
			}
			if t.Delivery != nil {
				if _, _, err := parsePinTime(t.Delivery.Last, time.Now()); err != nil {
					return fmt.Errorf("line %d: trail %s: delivery.last: %w", t.Delivery.Line, t.Name, err)
				}
			}
		}
		for _, g := range a.LogGroups {
			if !logGroupRe.MatchString(g.Name) {
				return fmt.Errorf("line %d: log group name %q: want 1-512 of letters, digits and . - _ / #", g.Line, g.Name)
			}
			if g.Region == "" {
				return fmt.Errorf("line %d: log group %s: region is required", g.Line, g.Name)
			}
			if !regions[g.Region] {
				return fmt.Errorf("line %d: log group %s: region %s is not an enabled region of account %s", g.Line, g.Name, g.Region, a.ID)
			}
			if err := checkDailyBytes(g.DailyBytes); err != nil {
				return fmt.Errorf("line %d: log group %s: daily_bytes: %w", g.Line, g.Name, err)
			}
			if g.RetentionDays != nil && !validRetention[*g.RetentionDays] {
				return fmt.Errorf("line %d: log group %s: retention_days %d is not one CloudWatch Logs accepts (%s); omit it for never expire", g.Line, g.Name, *g.RetentionDays, retentionList())
			}
			switch g.Class {
			case "", "STANDARD", "INFREQUENT_ACCESS", "DELIVERY":
			default:
				return fmt.Errorf("line %d: log group %s: class %q: want STANDARD, INFREQUENT_ACCESS or DELIVERY", g.Line, g.Name, g.Class)
			}
		}
		if err := validateMonitoring(a, regions); err != nil {
			return err
		}
		for _, r := range a.Roles {
			if !roleNameRe.MatchString(r.Name) {
				return fmt.Errorf("line %d: role name %q: want 1-64 of letters, digits and +=,.@_-", r.Line, r.Name)
			}
			if _, err := trustDocument(r.Trust, sc.Organization, a.ID, sc.Partition); err != nil {
				return fmt.Errorf("line %d: role %s: trust: %w", r.Line, r.Name, err)
			}
			if _, err := permissionDocument(r.Policy); err != nil {
				return fmt.Errorf("line %d: role %s: policy: %w", r.Line, r.Name, err)
			}
		}
		for _, m := range a.ManagedPolicies {
			if _, err := permissionDocument(m.Document); err != nil || m.Document == "" {
				return fmt.Errorf("line %d: managed policy %s: document: want a JSON policy document or a shorthand", m.Line, m.Name)
			}
		}
		for _, f := range a.Faults {
			if err := f.validate(); err != nil {
				return err
			}
		}
	}
	if o := sc.Organization; o != nil {
		if !orgIDRe.MatchString(o.ID) {
			return fmt.Errorf("line %d: organization id %q: want o- followed by 10-32 lowercase letters or digits", o.Line, o.ID)
		}
		if _, ok := seen[o.ManagementAccount]; !ok {
			return fmt.Errorf("line %d: organization management_account %q is not one of the accounts", o.Line, o.ManagementAccount)
		}
		if _, ok := seen[o.DelegatedAdmin]; o.DelegatedAdmin != "" && !ok {
			return fmt.Errorf("line %d: organization delegated_admin %q is not one of the accounts", o.Line, o.DelegatedAdmin)
		}
	}
	for _, f := range sc.Faults {
		if err := f.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (f Fault) validate() error {
	if f.Operation == "" {
		return fmt.Errorf("line %d: fault: operation is required (service:Operation, service:* or *)", f.Line)
	}
	if f.Operation != "*" {
		svc, op, ok := strings.Cut(f.Operation, ":")
		if !ok || serviceByName(svc) == nil || op == "" {
			return fmt.Errorf("line %d: fault operation %q: want service:Operation with a service of cloudtrail, logs, iam, sts, organizations, ec2, config, securityhub", f.Line, f.Operation)
		}
	}
	if f.Error == "" && f.ThrottleRate == 0 && f.Latency == 0 {
		return fmt.Errorf("line %d: fault: set error, throttle_rate or latency", f.Line)
	}
	if f.Rate != nil && (*f.Rate < 0 || *f.Rate > 1) {
		return fmt.Errorf("line %d: fault rate %v: want 0 to 1", f.Line, *f.Rate)
	}
	if f.ThrottleRate < 0 || f.ThrottleRate > 1 {
		return fmt.Errorf("line %d: fault throttle_rate %v: want 0 to 1", f.Line, f.ThrottleRate)
	}
	if f.Count < 0 {
		return fmt.Errorf("line %d: fault count %d: want the number of calls it applies to (0 or absent: every call)", f.Line, f.Count)
	}
	if f.After < 0 {
		return fmt.Errorf("line %d: fault after %d: want the number of calls let through first, 0 or more", f.Line, f.After)
	}
	if f.Latency < 0 {
		return fmt.Errorf("line %d: fault latency %s: want a positive duration", f.Line, time.Duration(f.Latency))
	}
	return nil
}

// parsePinTime reads a delivery pin: "never", an age before now ("26h"), or an RFC 3339 time.
func parsePinTime(s string, now time.Time) (t time.Time, never bool, err error) {
	switch strings.TrimSpace(s) {
	case "":
		return time.Time{}, false, nil
	case "never":
		return time.Time{}, true, nil
	}
	if ts, err := time.Parse(time.RFC3339, s); err == nil {
		return ts.UTC(), false, nil
	}
	d, err := ParseDuration(s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q: want \"never\", an age such as 26h, or an RFC 3339 time", s)
	}
	return now.Add(-d), false, nil
}

// checkDailyBytes says what is wrong with a daily_bytes list: at most 455 days (CloudWatch keeps a 1-day datapoint 455
// days: CloudWatch concepts, "Metrics retention"), each from 0 to 1 PB (2^50 bytes: no account ingests more a day, and
// sums stay far from the int64 limit).
func checkDailyBytes(d []int64) error {
	if len(d) > 455 {
		return fmt.Errorf("%d days; CloudWatch keeps daily datapoints 455 days", len(d))
	}
	for i, b := range d {
		if b < 0 || b > 1<<50 {
			return fmt.Errorf("day %d is %d bytes: want 0 to 1125899906842624 (1 PB)", i+1, b)
		}
	}
	return nil
}
