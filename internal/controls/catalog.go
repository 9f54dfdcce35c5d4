// Package controls is trailwatch's control catalog and its evaluation. Metadata (titles, mappings, reason codes) is
// data, embedded from catalog.yaml; evaluation is pure: no I/O and no clock of its own (Settings.Now is passed in), so
// the same code judges a live inventory and, later, infrastructure as code.
package controls

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/internal/alarms"
)

//go:embed catalog.yaml
var catalogYAML []byte

// Control IDs.
const (
	IntegrationID = "cloudtrail-cloudwatch-integration"
	RetentionID   = "cloudwatch-log-group-retention"
	CaptureID     = "account-activity-capture"
)

// Framework is one compliance mapping of a control.
type Framework struct {
	Framework string `yaml:"framework" json:"framework"`
	Version   string `yaml:"version" json:"version,omitempty"`
	ID        string `yaml:"id" json:"id"`
}

// Control is one control's metadata.
type Control struct {
	ID           string      `yaml:"id" json:"id"`
	Title        string      `yaml:"title" json:"title"`
	ResourceType string      `yaml:"resource_type" json:"resource_type"`
	Severity     string      `yaml:"severity" json:"severity"`
	Profile      string      `yaml:"profile" json:"profile"`
	Assessment   string      `yaml:"assessment" json:"assessment"`
	Frameworks   []Framework `yaml:"frameworks" json:"frameworks"`
	Notes        string      `yaml:"notes" json:"notes,omitempty"`
	Rationale    string      `yaml:"rationale" json:"rationale"`
	Remediation  string      `yaml:"remediation" json:"remediation"`
}

// ReasonDoc documents one reason code.
type ReasonDoc struct {
	Code    string `yaml:"code" json:"code"`
	Status  string `yaml:"status" json:"status"`
	Meaning string `yaml:"meaning" json:"meaning"`
	Fix     string `yaml:"fix" json:"fix"`
	// Controls are the controls whose findings carry the code.
	Controls []string `yaml:"controls" json:"controls"`
}

// ReasonsOf lists the reason codes a control's findings may carry, in catalog order.
func (c *Catalog) ReasonsOf(controlID string) []ReasonDoc {
	var out []ReasonDoc
	for _, r := range c.Reasons {
		if slices.Contains(r.Controls, controlID) {
			out = append(out, r)
		}
	}
	return out
}

// Catalog is the set of controls and reason codes.
type Catalog struct {
	Controls []Control   `yaml:"controls" json:"controls"`
	Reasons  []ReasonDoc `yaml:"reasons" json:"reasons"`
}

// Load parses the embedded catalog.
func Load() (*Catalog, error) {
	var c Catalog
	if err := yaml.Unmarshal(catalogYAML, &c); err != nil {
		return nil, fmt.Errorf("parse embedded control catalog: %w", err)
	}
	for _, it := range alarms.Items {
		c.Controls = append(c.Controls, alarmControl(it))
	}
	for i, r := range c.Reasons {
		if j := slices.Index(r.Controls, "alarm-family"); j >= 0 {
			c.Reasons[i].Controls = slices.Concat(r.Controls[:j], AlarmControlIDs(), r.Controls[j+1:])
		}
	}
	return &c, nil
}

// alarmControl is the catalog entry of one CIS monitoring item: the metadata is the same for the fifteen but for the
// title and the mappings (v1.2 3.N, v1.4-v5.0 4.N, Security Hub CloudWatch.N).
func alarmControl(it alarms.Item) Control {
	fw := []Framework{}
	if it.CIS != "4.15" {
		fw = append(fw, Framework{Framework: "CIS AWS Foundations Benchmark", Version: "v1.2.0", ID: "3." + it.CIS[2:]})
	}
	for _, v := range []string{"v1.4.0", "v1.5.0", "v2.0.0", "v3.0.0", "v4.0.0", "v5.0.0"} {
		fw = append(fw, Framework{Framework: "CIS AWS Foundations Benchmark", Version: v, ID: it.CIS})
	}
	if sh := alarms.SecurityHubControl(it.CIS); sh != "" {
		fw = append(fw, Framework{Framework: "AWS Foundational Security Best Practices", ID: sh})
	}
	return Control{
		ID: it.ID, Title: "A log metric filter and alarm exist for " + midSentence(it.Title),
		ResourceType: "AWS::::Account", Severity: "Low", Profile: "Level 1", Assessment: "Automated", Frameworks: fw,
		Notes: "Judged by meaning, not by string: clause order, quoting, spacing and extra || branches do not matter; " +
			"the chain is followed from the monitored trail's log group (by full ARN) to a confirmed SNS subscriber. " +
			"Organization trails are judged on the owner's log group. --cis-version selects the published patterns.",
		Rationale: "Real-time monitoring of API calls: CloudTrail events that reach CloudWatch Logs can raise an alarm " +
			"within minutes of " + midSentence(it.Title) + ", if a filter matches them and someone receives the alarm.",
		Remediation: "In the account and region of the trail's log group: PutMetricFilter with the published pattern " +
			"(namespace CISBenchmark), PutMetricAlarm on its metric (Sum >= 1 over 300 s, actions enabled) notifying an " +
			"SNS topic with at least one confirmed subscription. Published pattern: " + it.Pattern,
	}
}

// Control returns the control with id.
func (c *Catalog) Control(id string) (Control, bool) {
	for _, ctl := range c.Controls {
		if ctl.ID == id {
			return ctl, true
		}
	}
	return Control{}, false
}

// Reason returns the documentation of a reason code.
func (c *Catalog) Reason(code string) (ReasonDoc, bool) {
	for _, r := range c.Reasons {
		if r.Code == code {
			return r, true
		}
	}
	return ReasonDoc{}, false
}

// midSentence is a title as it reads inside a sentence: its first letter lowered, unless the first word is a name or
// an acronym ("AWS Config changes", "IAM policy changes", "CloudTrail configuration changes" keep theirs).
func midSentence(title string) string {
	word, _, _ := strings.Cut(title, " ")
	if len(word) < 2 || strings.TrimLeft(word[1:], "abcdefghijklmnopqrstuvwxyz") != "" {
		return title // a name, an acronym or a code such as S3
	}
	return strings.ToLower(title[:1]) + title[1:]
}
