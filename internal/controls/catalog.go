// Package controls is trailwatch's control catalog and its evaluation. Metadata (titles, mappings, reason codes) is
// data, embedded from catalog.yaml; evaluation is pure: no I/O and no clock of its own (Settings.Now is passed in), so
// the same code judges a live inventory and, later, infrastructure as code.
package controls

import (
	_ "embed"
	"fmt"
	"slices"

	"gopkg.in/yaml.v3"
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
	return &c, nil
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
