package awssim

import (
	"fmt"
	"math/rand"
	"time"
)

// GenOptions describe a generated organization, for tests and benchmarks.
type GenOptions struct {
	// Accounts is the number of accounts, the management account included (at least 2).
	Accounts int
	// Regions enabled in every account; default the partition's 17 default regions.
	Regions []string
	// Latency per call; RateLimits turns on AWS's request rates.
	Latency    time.Duration
	RateLimits bool
	// Seed makes the local trails and their breakage deterministic.
	Seed int64
	// MaxLocalTrails per member: each gets 0 to MaxLocalTrails (default 3) local trails, some broken.
	MaxLocalTrails int
	// Monitoring gives the organization trail's log group the whole CIS monitoring chain (cis_monitoring).
	Monitoring bool
}

// Generated account ids are 100000000000 + i; the management account is i = 0 and the delegated administrator i = 1.
func genID(i int) string { return fmt.Sprintf("%012d", 100000000000+i) }

// Generate builds an organization: a management account with a healthy multi-region organization trail, a delegated
// administrator, and members in three OUs with 0 to MaxLocalTrails local trails each, a fifth of them broken in one
// of five ways (not integrated, log group missing, role untrusted, logging stopped, stale delivery).
func Generate(o GenOptions) *Scenario {
	if o.MaxLocalTrails == 0 {
		o.MaxLocalTrails = 3
	}
	if len(o.Regions) == 0 {
		o.Regions = DefaultRegions("aws")
	}
	rng := rand.New(rand.NewSource(o.Seed))
	no := false
	sc := &Scenario{
		Now: "2026-11-22T12:00:00Z", Partition: "aws", Latency: Duration(o.Latency), RateLimits: o.RateLimits, Seed: o.Seed,
		Organization: &Organization{ID: "o-gen0000001", ManagementAccount: genID(0), DelegatedAdmin: genID(1)},
		file:         fmt.Sprintf("generated(%d accounts)", o.Accounts),
	}
	ous := []string{"Workloads/Prod", "Workloads/Dev", "Sandbox"}
	envs := []string{"production", "development", "sandbox"}
	for i := 0; i < o.Accounts; i++ {
		a := Account{ID: genID(i), Name: fmt.Sprintf("account-%04d", i), Regions: o.Regions,
			Tags: map[string]string{"environment": envs[i%3]}, OU: ous[i%3]}
		if i == 0 {
			a.Name, a.OU = "management", ""
			a.Trails = []Trail{{Name: "org-trail", HomeRegion: o.Regions[0], MultiRegion: true, Organization: true,
				LogGroup: "aws-cloudtrail-logs/org", Role: "CloudTrailCWLogsRole"}}
			a.LogGroups = []LogGroup{{Name: "aws-cloudtrail-logs/org", Region: o.Regions[0], RetentionDays: intp(365)}}
			if o.Monitoring {
				a.LogGroups[0].CISMonitoring = &CISMonitoring{Topic: "cis-alarms"}
			}
			a.Roles = []Role{{Name: "CloudTrailCWLogsRole", Trust: "cloudtrail", Policy: "cloudtrail-delivery"}}
			sc.Accounts = append(sc.Accounts, a)
			continue
		}
		n := rng.Intn(o.MaxLocalTrails + 1)
		if n > 0 {
			a.Roles = []Role{{Name: "CTRole", Trust: "cloudtrail", Policy: "cloudtrail-delivery"},
				{Name: "Untrusted", Trust: "logs.amazonaws.com", Policy: "cloudtrail-delivery"}}
		}
		for j := 0; j < n; j++ {
			region := o.Regions[rng.Intn(len(o.Regions))]
			t := Trail{Name: fmt.Sprintf("local-%d", j), HomeRegion: region, LogGroup: fmt.Sprintf("ct-%d", j), Role: "CTRole"}
			g := LogGroup{Name: t.LogGroup, Region: region, RetentionDays: intp([]int{30, 365, 731}[rng.Intn(3)])}
			switch rng.Intn(25) {
			case 0:
				t.LogGroup, t.Role = "", ""
			case 1:
				g.Name = "" // log group missing
			case 2:
				t.Role = "Untrusted"
			case 3:
				t.Logging = &no
			case 4:
				t.Delivery = &DeliveryPin{Last: "30h"}
			}
			if g.Name != "" && t.LogGroup != "" {
				a.LogGroups = append(a.LogGroups, g)
			}
			a.Trails = append(a.Trails, t)
		}
		sc.Accounts = append(sc.Accounts, a)
	}
	return sc
}

func intp(v int) *int { return &v }

// Validate checks a scenario built in Go (Generate, or by hand) as ParseScenario checks a file.
func (sc *Scenario) Validate() error {
	if sc.file == "" {
		sc.file = "scenario"
	}
	return sc.validate()
}
