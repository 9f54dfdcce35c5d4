package exceptions

import (
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

const trailARN = "arn:aws:cloudtrail:eu-west-1:111111111111:trail/legacy-one"

func finding(control, rid, acct, region string) model.Finding {
	return model.Finding{ID: control + "/" + rid, ControlID: control, Status: model.StatusFail, AccountID: acct, Region: region, ResourceID: rid,
		Reasons: []model.Reason{{Code: "NOT_INTEGRATED"}}}
}

func TestSelectors(t *testing.T) {
	accounts := map[string]AccountInfo{"111111111111": {Tags: map[string]string{"environment": "sandbox"}, OU: "Workloads/Dev"},
		"222222222222": {Tags: map[string]string{"environment": "production"}, OU: "Workloads/Prod"}}
	tests := []struct {
		name, entry string
		f           model.Finding
		muted       bool
	}{
		{"resource glob", `resources: ["arn:aws:cloudtrail:eu-west-1:111111111111:trail/legacy-*"]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), true},
		{"resource glob miss", `resources: ["arn:aws:cloudtrail:eu-west-1:111111111111:trail/new-*"]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), false},
		{"account", `accounts: ["111111111111"]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), true},
		{"other account", `accounts: ["222222222222"]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), false},
		{"region", `regions: [eu-west-1]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), true},
		{"other region", `regions: [us-east-1]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), false},
		{"account tag", `tags: {environment: sandbox}`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), true},
		{"other tag", `tags: {environment: sandbox}`, finding("cloudtrail-cloudwatch-integration", trailARN, "222222222222", "eu-west-1"), false},
		{"ou prefix", `ous: [Workloads]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), true},
		{"other ou", `ous: [Sandbox]`, finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), false},
		{"selectors are ANDed", "accounts: [\"111111111111\"]\n    regions: [us-east-1]", finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1"), false},
		{"other control", `accounts: ["111111111111"]`, finding("cloudwatch-log-group-retention", "arn:aws:logs:eu-west-1:111111111111:log-group:x", "111111111111", "eu-west-1"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := "exceptions:\n  - control: cloudtrail-cloudwatch-integration\n    " + tc.entry + "\n    owner: sec@example.com\n    reason: SIEM forwarder (SEC-123)\n    expires: 2027-01-31\n    ticket: SEC-123\n"
			s, err := Parse("ex.yaml", []byte(text), now, 365)
			if err != nil {
				t.Fatal(err)
			}
			fs := s.Apply([]model.Finding{tc.f}, accounts, now)
			if got := fs[0].Status == model.StatusMuted; got != tc.muted {
				t.Errorf("muted %v, want %v", got, tc.muted)
			}
			if tc.muted && (fs[0].MutedStatus != model.StatusFail || fs[0].Exception.Owner != "sec@example.com" || fs[0].Exception.Where != "ex.yaml:2" || len(fs[0].Reasons) != 1) {
				t.Errorf("muted finding %+v %+v", fs[0], fs[0].Exception)
			}
		})
	}
}

func TestExpiryBoundaryUTC(t *testing.T) {
	text := "exceptions:\n  - {control: \"*\", accounts: [\"111111111111\"], owner: o@example.com, reason: r, expires: 2026-11-22}\n"
	s, err := Parse("ex.yaml", []byte(text), now, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := time.Date(2026, 11, 22, 23, 59, 59, 0, time.UTC)
	after := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	// The same instant seen from a host east of UTC is still the 22nd in UTC.
	east := last.In(time.FixedZone("UTC+9", 9*3600))
	for _, tc := range []struct {
		at    time.Time
		muted bool
	}{{last, true}, {east, true}, {after, false}} {
		fs := s.Apply([]model.Finding{finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1")}, nil, tc.at)
		if got := fs[0].Status == model.StatusMuted; got != tc.muted {
			t.Errorf("at %s: muted %v", tc.at, got)
		}
		if !tc.muted && (fs[0].Status != model.StatusFail || fs[0].Reasons[len(fs[0].Reasons)-1].Code != "EXCEPTION_EXPIRED" || !strings.Contains(fs[0].Reasons[1].Message, "o@example.com")) {
			t.Errorf("expired: %+v", fs[0])
		}
	}
	h := s.Hygiene(after, true)
	if len(h) != 1 || h[0].Status != model.StatusWarn || h[0].Reasons[0].Code != "EXCEPTION_EXPIRED" || !strings.Contains(h[0].Reasons[0].Message, "o@example.com") {
		t.Errorf("hygiene %+v", h)
	}
	if s.Exceptions[0].State(after) != "expired" || s.Exceptions[0].State(now) != "expiring" {
		t.Errorf("states %s %s", s.Exceptions[0].State(after), s.Exceptions[0].State(now))
	}
}

func TestUnused(t *testing.T) {
	text := "exceptions:\n  - {control: cloudtrail-cloudwatch-integration, regions: [ap-south-1], owner: o, reason: r, expires: 2027-01-01}\n"
	s, _ := Parse("ex.yaml", []byte(text), now, 0)
	s.Apply([]model.Finding{finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1")}, nil, now)
	h := s.Hygiene(now, true)
	if len(h) != 1 || h[0].Reasons[0].Code != "EXCEPTION_UNUSED" || h[0].ResourceID != "ex.yaml:2" {
		t.Errorf("unused: %+v", h)
	}
	if len(s.Hygiene(now, false)) != 0 {
		t.Error("unused reported without usage")
	}
}

func TestInvalid(t *testing.T) {
	base := func(fields string) string {
		return "exceptions:\n  - control: cloudtrail-cloudwatch-integration\n" + fields
	}
	tests := []struct{ text, want string }{
		{base("    accounts: [\"111111111111\"]\n    reason: r\n    expires: 2027-01-01\n"), "ex.yaml:2: owner: required"},
		{base("    accounts: [\"111111111111\"]\n    owner: o\n    expires: 2027-01-01\n"), "ex.yaml:2: reason: required"},
		{base("    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n"), "ex.yaml:2: expires: required"},
		{base("    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: next year\n"), "ex.yaml:6: expires: \"next year\" is not a date"},
		{base("    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2029-01-01\n"), "ex.yaml:6: expires: 2029-01-01 is more than 365 days ahead"},
		{base("    accounts: [1234]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n"), "ex.yaml:3: accounts: \"1234\" is not a 12-digit"},
		// "Quote it" helps only where YAML could have read the id as a number; "*" was told to quote it.
		{base("    accounts: [\"*\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n"), "ex.yaml:3: accounts: \"*\" is not a 12-digit account id; name the accounts, or use resources to cover more"},
		{base("    owner: o\n    reason: r\n    expires: 2027-01-01\n"), "name at least one of"},
		{base("    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n    colour: red\n"), "ex.yaml:7: colour: unknown field"},
		{"exceptions:\n  - control: Not A Control\n    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n", "ex.yaml:2: control"},
		{"mutes: []\n", "unknown key \"mutes\""},
		// Issue 26: an alternate names its evidence, and is about capture only.
		{base("    kind: ignore\n    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n"), "ex.yaml:3: kind: \"ignore\": want mute (the default) or alternate"},
		{base("    kind: alternate\n    evidence: security-lake\n    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n"), "ex.yaml:2: control: an alternate is about account-activity-capture"},
		{"exceptions:\n  - control: account-activity-capture\n    kind: alternate\n    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n", "evidence: \"\": an alternate names what trailwatch verifies live"},
		{base("    evidence: security-lake\n    accounts: [\"111111111111\"]\n    owner: o\n    reason: r\n    expires: 2027-01-01\n"), "ex.yaml:3: evidence: only an exception of kind alternate names evidence"},
	}
	for _, tc := range tests {
		if _, err := Parse("ex.yaml", []byte(tc.text), now, 365); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("exceptions:\n  - {control: \"*\", accounts: [\"111111111111\"], owner: o, reason: r, expires: 2027-01-01}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("f.yaml", data, now, 365)
		if err == nil {
			s.Apply([]model.Finding{finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1")}, nil, now)
			s.Hygiene(now, true)
		} else if !strings.Contains(err.Error(), "f.yaml") {
			t.Errorf("error without the file: %v", err)
		}
	})
}

// TestFindingIDsDoNotDependOnThePath: the same exception, in a file moved elsewhere and shifted down, gives its
// hygiene finding the same id, so that `diff` does not report churn (issue 10 §6).
func TestFindingIDsDoNotDependOnThePath(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	entry := `  - control: cloudtrail-cloudwatch-integration
    resources: ["arn:aws:cloudtrail:us-east-1:111111111111:trail/legacy"]
    owner: a@example.com
    reason: replaced next quarter
    expires: 2026-12-01
`
	a, err := Parse(".trailwatch/exceptions.yaml", []byte("exceptions:\n"+entry), now, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("security/exceptions.yaml", []byte("# moved\n\nexceptions:\n"+entry), now, 0)
	if err != nil {
		t.Fatal(err)
	}
	fa, fb := a.Hygiene(now, true), b.Hygiene(now, true)
	if len(fa) != 1 || len(fb) != 1 {
		t.Fatalf("hygiene findings %d and %d, want one each (unused)", len(fa), len(fb))
	}
	if fa[0].ID != fb[0].ID {
		t.Errorf("ids differ: %s vs %s", fa[0].ID, fb[0].ID)
	}
	if fa[0].ResourceID == fb[0].ResourceID {
		t.Errorf("the location should still show where each is: %s", fa[0].ResourceID)
	}
}

// TestTagsUnreadable: an exception scoped by account tags, on an account whose tags could not be read, neither mutes
// the finding nor lets it FAIL: it is an ERROR saying whether it is muted is unknown, the exception is not reported
// unused, and a fix plan leaves the resource alone. Unreadable tags turned 2 MUTED into FAIL and reported a false
// EXCEPTION_UNUSED (issue 23).
func TestTagsUnreadable(t *testing.T) {
	text := "exceptions:\n  - {control: cloudtrail-cloudwatch-integration, tags: {environment: sandbox}, owner: o, reason: r, expires: 2027-01-01}\n"
	s, err := Parse("ex.yaml", []byte(text), now, 0)
	if err != nil {
		t.Fatal(err)
	}
	accounts := map[string]AccountInfo{"111111111111": {TagsUnknown: true}}
	f := finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1")
	fs := s.Apply([]model.Finding{f}, accounts, now)
	if fs[0].Status != model.StatusError || fs[0].Reasons[len(fs[0].Reasons)-1].Code != "EXCEPTION_UNDECIDED" {
		t.Errorf("finding: %s %+v", fs[0].Status, fs[0].Reasons)
	}
	if h := s.Hygiene(now, true); len(h) != 0 {
		t.Errorf("hygiene: %+v", h)
	}
	if ex, why := s.Excludes(f, accounts["111111111111"], now); !ex || !strings.Contains(why, "tags could not be read") {
		t.Errorf("fix plans must leave it alone: %v %q", ex, why)
	}
	// Tags read and not matching: the exception does not apply, and is unused.
	s2, _ := Parse("ex.yaml", []byte(text), now, 0)
	fs = s2.Apply([]model.Finding{f}, map[string]AccountInfo{"111111111111": {Tags: map[string]string{"environment": "prod"}}}, now)
	if fs[0].Status != model.StatusFail || len(s2.Hygiene(now, true)) != 1 {
		t.Errorf("tags read: %s", fs[0].Status)
	}
}

// TestUnusedOnlyInScope (field trial): an exception naming only accounts the scan did not read is not called unused
// (the scan could not have used it); one naming a scanned account that matched nothing is.
func TestUnusedOnlyInScope(t *testing.T) {
	text := "exceptions:\n  - {control: cloudtrail-cloudwatch-integration, accounts: [\"222222222222\"], owner: o, reason: r, expires: 2027-01-01}\n" +
		"  - {control: cloudtrail-cloudwatch-integration, accounts: [\"111111111111\"], regions: [ap-south-1], owner: o, reason: r, expires: 2027-01-01}\n"
	s, _ := Parse("ex.yaml", []byte(text), now, 0)
	s.Apply([]model.Finding{finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1")}, nil, now)
	h := s.Hygiene(now, true)
	if len(h) != 1 || h[0].ResourceID != "ex.yaml:3" {
		t.Errorf("hygiene %+v, want only ex.yaml:3 unused", h)
	}
}

// TestOUUnread (review): after scan --org --accounts, which reads no OU, an exception scoped by ous neither mutes nor
// lets the finding fail: ERROR EXCEPTION_UNDECIDED naming the OU, not unused.
func TestOUUnread(t *testing.T) {
	text := "exceptions:\n  - {control: cloudtrail-cloudwatch-integration, ous: [Workloads/Sandbox], owner: o, reason: r, expires: 2027-01-01}\n"
	s, _ := Parse("ex.yaml", []byte(text), now, 0)
	fs := s.Apply([]model.Finding{finding("cloudtrail-cloudwatch-integration", trailARN, "111111111111", "eu-west-1")},
		map[string]AccountInfo{"111111111111": {OUUnknown: true}}, now)
	last := fs[0].Reasons[len(fs[0].Reasons)-1]
	if fs[0].Status != model.StatusError || last.Code != "EXCEPTION_UNDECIDED" || !strings.Contains(last.Message, "Workloads/Sandbox") {
		t.Errorf("finding: %s %+v", fs[0].Status, fs[0].Reasons)
	}
	if h := s.Hygiene(now, true); len(h) != 0 {
		t.Errorf("hygiene: %+v", h)
	}
}
