// Package iac finds infrastructure-as-code sources under the given paths, detects their kind (Terraform
// configuration, Terraform JSON plan, CloudFormation template) and reads each with its adapter into the model. A file
// that cannot be read is an error for that file; the others still run.
package iac

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trailwatch/trailwatch/internal/iac/cfn"
	"github.com/trailwatch/trailwatch/internal/iac/limits"
	"github.com/trailwatch/trailwatch/internal/iac/terraform"
	"github.com/trailwatch/trailwatch/internal/iac/tfplan"
	"github.com/trailwatch/trailwatch/internal/model"
)

// Kinds of source.
const (
	KindAuto           = "auto"
	KindTerraform      = "terraform"
	KindPlan           = "plan"
	KindCloudFormation = "cloudformation"
)

// Options tune the scan.
type Options struct {
	Kind      string
	Vars      map[string]string
	VarFiles  []string
	CFNParams map[string]string
	// Ctx stops the scan when cancelled; MaxFileSize and MaxInstances bound the work (terraform.Options).
	Ctx          context.Context
	MaxFileSize  int64
	MaxInstances int
}

// FileError is a source that could not be read, at a line.
type FileError struct {
	File string
	Line int
	Msg  string
}

// Result is what the sources hold.
type Result struct {
	Trails []*model.Trail
	Errors []FileError
	Files  int
	// Monitoring is the alarm chain the sources declare (alarms and topics; metric filters are on the trails' log
	// groups).
	Monitoring *model.Monitoring
	// Skipped are the YAML and JSON files found that are neither a CloudFormation template nor a Terraform plan, with
	// why (iac --log-level info lists them).
	Skipped []Skipped
	// Units are the deployable units read (a Terraform root module, a CloudFormation template, a plan), in the order
	// their trails appear in Trails: each is judged on its own, since what one deploys does not monitor another.
	Units []Unit
}

// Unit is one deployable unit: a Terraform root module (its directory), a CloudFormation template or a Terraform plan
// (its file), with the trails it declares and the alarm chain it declares (nil when none).
type Unit struct {
	Name       string
	Trails     []*model.Trail
	Monitoring *model.Monitoring
	// Telemetry are the CloudWatch telemetry rules for CloudTrail the unit declares (nil: none).
	Telemetry *model.Telemetry
}

// Skipped is a file left out, and why.
type Skipped struct {
	File, Reason string
}

// Scan reads every source under paths.
func Scan(paths []string, o Options) *Result {
	if o.Kind == "" {
		o.Kind = KindAuto
	}
	res := &Result{}
	var tfDirs []string
	var files []string
	for _, p := range paths {
		// A path given on the command line that is a symbolic link to a directory is walked (WalkDir does not
		// follow a link at its root, and the directory would be skipped silently).
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		st, err := os.Stat(p)
		if err != nil {
			res.Errors = append(res.Errors, FileError{File: p, Msg: err.Error()})
			continue
		}
		if !st.IsDir() {
			if strings.HasSuffix(p, ".tf") || strings.HasSuffix(p, ".tf.json") {
				tfDirs = append(tfDirs, filepath.Dir(p))
			} else {
				files = append(files, p)
			}
			continue
		}
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if name := d.Name(); path != p && (name == ".terraform" || name == ".git" || name == "node_modules") {
					return filepath.SkipDir
				}
				if (o.Kind == KindAuto || o.Kind == KindTerraform) && terraform.IsConfig(path) {
					tfDirs = append(tfDirs, path)
				}
				return nil
			}
			switch ext := strings.ToLower(filepath.Ext(path)); ext {
			case ".yaml", ".yml", ".json", ".template":
				if strings.HasSuffix(path, ".tf.json") || strings.HasSuffix(path, ".tfvars.json") {
					break
				}
				if !terraform.IsRegular(path) {
					// Found by the walk, not named by the user: a named pipe would block the scan for ever.
					res.Skipped = append(res.Skipped, Skipped{File: path, Reason: terraform.NotRegular})
					break
				}
				files = append(files, path)
			}
			return nil
		})
	}
	if o.Ctx == nil {
		o.Ctx = context.Background()
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = terraform.DefaultMaxFileSize
	}
	cache := terraform.NewCache(o.MaxFileSize)
	for _, dir := range roots(dedupe(tfDirs), cache) {
		if o.Ctx.Err() != nil {
			return res
		}
		r := terraform.Load(dir, terraform.Options{Vars: o.Vars, VarFiles: o.VarFiles, Ctx: o.Ctx, MaxFileSize: o.MaxFileSize, MaxInstances: o.MaxInstances, Cache: cache})
		res.Trails = append(res.Trails, r.Trails...)
		res.Files += r.Files
		res.addMonitoring(r.Monitoring)
		res.Units = append(res.Units, Unit{Name: dir, Trails: r.Trails, Monitoring: r.Monitoring, Telemetry: r.Telemetry})
		for _, e := range r.Errors {
			res.Errors = append(res.Errors, FileError{e.File, e.Line, e.Msg})
		}
	}
	sort.Strings(files)
	for _, f := range files {
		if o.Ctx.Err() != nil {
			return res
		}
		if fi, err := os.Stat(f); err == nil && fi.Size() > o.MaxFileSize {
			if isIaCName(f) {
				res.Errors = append(res.Errors, FileError{File: f, Msg: fmt.Sprintf("not read: %d bytes, larger than --max-file-size %d", fi.Size(), o.MaxFileSize)})
			} else {
				res.Skipped = append(res.Skipped, Skipped{File: f, Reason: fmt.Sprintf("%d bytes, larger than --max-file-size %d, and not named like a template or plan", fi.Size(), o.MaxFileSize)})
			}
			continue
		}
		// A file named on the command line may be a device (/dev/zero reads as 0 bytes and never ends): read at most
		// the limit, whatever Stat said.
		data, err := limits.ReadLimited(f, o.MaxFileSize)
		if err != nil {
			res.Errors = append(res.Errors, FileError{File: f, Msg: err.Error()})
			continue
		}
		switch kind := detect(f, data, o.Kind); kind {
		case KindPlan:
			res.Files++
			p, err := tfplan.Load(f, data)
			if err != nil {
				res.Errors = append(res.Errors, FileError{File: f, Line: 1, Msg: err.Error()})
				continue
			}
			res.Trails = append(res.Trails, p.Trails...)
			res.addMonitoring(p.Monitoring)
			res.Units = append(res.Units, Unit{Name: f, Trails: p.Trails, Monitoring: p.Monitoring, Telemetry: p.Telemetry})
		case KindCloudFormation:
			res.Files++
			tpl, err := cfn.Parse(f, data, o.CFNParams)
			if err == nil {
				var trails []*model.Trail
				if trails, err = tpl.Trails(); err == nil {
					res.Trails = append(res.Trails, trails...)
					mon := tpl.Monitoring(trails)
					res.addMonitoring(mon)
					res.Units = append(res.Units, Unit{Name: f, Trails: trails, Monitoring: mon, Telemetry: tpl.Telemetry()})
					continue
				}
			}
			line := 0
			if ce, ok := err.(*cfn.Error); ok {
				line = ce.Line
				err = fmt.Errorf("%s", ce.Msg)
			}
			res.Errors = append(res.Errors, FileError{File: f, Line: line, Msg: err.Error()})
		default:
			res.Skipped = append(res.Skipped, Skipped{File: f, Reason: whyNot(data, o.Kind)})
		}
	}
	return res
}

// whyNot says why a YAML or JSON file is not read as infrastructure as code.
func whyNot(data []byte, forced string) string {
	s := string(data)
	switch {
	case forced == KindTerraform:
		return "--kind terraform reads only .tf and .tf.json"
	case strings.Contains(s, "Resources") && strings.Contains(s, "AWS::"):
		return "mentions Resources and AWS:: but is not a CloudFormation template: no AWSTemplateFormatVersion, and no Resources map of resources with a Type (compliance files, issue templates and serverless.yml look like this)"
	default:
		return "neither a CloudFormation template (AWSTemplateFormatVersion, or Resources with AWS:: types) nor a Terraform plan (terraform show -json)"
	}
}

func (res *Result) addMonitoring(m *model.Monitoring) {
	if m == nil {
		return
	}
	if res.Monitoring == nil {
		res.Monitoring = &model.Monitoring{Topics: map[string]*model.Topic{}}
	}
	res.Monitoring.Regions = append(res.Monitoring.Regions, m.Regions...)
	res.Monitoring.Alarms = append(res.Monitoring.Alarms, m.Alarms...)
	for k, v := range m.Topics {
		if old := res.Monitoring.Topics[k]; old == nil || old.Err != nil {
			res.Monitoring.Topics[k] = v
		}
	}
}

// isIaCName: a file whose name says it is infrastructure as code (a plan or a template), so that skipping it for its
// size must be reported; other large YAML/JSON files are not IaC and are skipped quietly.
func isIaCName(f string) bool {
	n := strings.ToLower(filepath.Base(f))
	return strings.Contains(n, "plan") || strings.Contains(n, "template") || strings.Contains(n, "stack") || strings.HasSuffix(n, ".template")
}

func detect(file string, data []byte, forced string) string {
	switch forced {
	case KindPlan, KindCloudFormation:
		return forced
	case KindTerraform:
		return ""
	}
	if strings.HasSuffix(file, ".json") && tfplan.IsPlan(data) {
		return KindPlan
	}
	if cfn.IsTemplate(data) {
		return KindCloudFormation
	}
	return ""
}

func dedupe(l []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, d := range l {
		d = filepath.Clean(d)
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// roots drops the directories that another scanned directory calls as a local module: they are evaluated through
// the call, with its inputs, not on their own. Calls are read from the parsed configuration (not from text, where a
// source in a comment would count). A directory calling itself is still a root (the cycle is reported when it is
// evaluated); directories reached only through a cycle among themselves get the first of them as a root, so that no
// configuration is skipped silently.
func roots(dirs []string, cache *terraform.Cache) []string {
	calls := map[string][]string{}
	calledBy := map[string]int{}
	for _, d := range dirs {
		for _, c := range terraform.LocalCalls(d, cache) {
			if c != d {
				calls[d] = append(calls[d], c)
				calledBy[c]++
			}
		}
	}
	sort.Strings(dirs)
	reached := map[string]bool{}
	var reach func(string)
	reach = func(d string) {
		if reached[d] {
			return
		}
		reached[d] = true
		for _, c := range calls[d] {
			reach(c)
		}
	}
	var out []string
	for _, d := range dirs {
		if calledBy[d] == 0 {
			out = append(out, d)
			reach(d)
		}
	}
	for _, d := range dirs {
		if !reached[d] {
			out = append(out, d) // only called from within a cycle: judged from here
			reach(d)
		}
	}
	return out
}

// ReadCFNParams reads a parameters file: the AWS CLI's [{"ParameterKey": k, "ParameterValue": v}], CodePipeline's
// {"Parameters": {k: v}}, or a plain {k: v}.
func ReadCFNParams(path string, maxSize int64) (map[string]string, error) {
	data, err := limits.ReadLimited(path, maxSize)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var list []struct{ ParameterKey, ParameterValue string }
	if json.Unmarshal(data, &list) == nil && len(list) > 0 {
		for _, p := range list {
			out[p.ParameterKey] = p.ParameterValue
		}
		return out, nil
	}
	var wrapped struct{ Parameters map[string]string }
	if json.Unmarshal(data, &wrapped) == nil && wrapped.Parameters != nil {
		return wrapped.Parameters, nil
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: want [{\"ParameterKey\":..,\"ParameterValue\":..}], {\"Parameters\":{..}} or {name: value}: %w", path, err)
	}
	return out, nil
}
