// Package terraform reads Terraform configurations (.tf and .tf.json) with hashicorp/hcl/v2 into the model: each
// aws_cloudtrail instance with its CloudWatch Logs settings and the log group and role they resolve to, with file,
// line and resource address. It evaluates what Terraform would know at plan time: variables (defaults, *.tfvars,
// *.auto.tfvars, --var-file, --var), locals, count and for_each, conditionals, functions (format, jsonencode, join, ...),
// string templates, references between resources, aws_iam_policy_document data sources and local modules (and modules
// already in .terraform/modules). A value Terraform knows only after apply stays unknown, with the chain that made it
// unknown, carried as a cty mark.
package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/trailwatch/trailwatch/internal/awsarn"
	"github.com/trailwatch/trailwatch/internal/iac/limits"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/partition"
)

// why is the cty mark that explains an unknown value.
type why string

// Options supply variable values.
type Options struct {
	// Vars are --var name=value pairs; VarFiles are --var-file paths (HCL or JSON).
	Vars     map[string]string
	VarFiles []string
	// Ctx stops the evaluation when cancelled (SIGINT/SIGTERM): what was read so far is returned with an error.
	Ctx context.Context
	// MaxFileSize skips (as an error, never silently) a file larger than this many bytes (default 10 MiB).
	MaxFileSize int64
	// MaxInstances bounds count and for_each: beyond it the resource is judged as one instance, UNKNOWN, and said so
	// (default 10,000).
	MaxInstances int
	// Cache, when set, shares parsed files between LocalCalls and Load of one scan (each file parsed once).
	Cache *Cache
}

// Cache holds parsed files for one scan, read under one file-size limit.
type Cache struct {
	maxFileSize int64
	files       map[string]*hcl.File
	fileErr     map[string]*FileError
}

// NewCache returns an empty cache whose files are read under maxFileSize (0: the default).
func NewCache(maxFileSize int64) *Cache {
	if maxFileSize <= 0 {
		maxFileSize = DefaultMaxFileSize
	}
	return &Cache{maxFileSize: maxFileSize, files: map[string]*hcl.File{}, fileErr: map[string]*FileError{}}
}

// Defaults of the limits that keep hostile or accidental input from crashing or exhausting trailwatch.
const (
	DefaultMaxFileSize  = 10 << 20
	DefaultMaxInstances = 10000
	// MaxNesting bounds the bracket and block nesting of a file, checked before parsing: the HCL parser recurses per
	// level and a file nested tens of thousands deep would overflow the stack (a fatal error no recover catches).
	MaxNesting = 512
	// MaxModuleDepth bounds module calls within module calls; MaxModuleEvaluations the total work of one root.
	MaxModuleDepth       = 32
	MaxModuleEvaluations = 20000
)

// state is what every module of one Load shares: options, parsed files (each parsed once), and the work done.
type state struct {
	used    map[string]bool // files this Load read (the cache may hold others)
	o       Options
	files   map[string]*hcl.File
	fileErr map[string]*FileError
	evals   int
	stopped string // why evaluation stopped early ("" while it goes on)
	cycles  map[string]bool
	// instances counts the resource and data instances evaluated (bounds.go: instanceBudget); limitErrs are the
	// evaluation limits that tripped, once per place (limitSeen); hit carries a bounded function's refusal.
	instances int
	limitErrs []FileError
	limitSeen map[string]bool
	hit       limitHit
	funcs     map[string]function.Function
}

func (st *state) stop() bool {
	if st.stopped != "" {
		return true
	}
	if err := st.o.Ctx.Err(); err != nil {
		st.stopped = "interrupted: " + err.Error()
	} else if st.evals > MaxModuleEvaluations {
		st.stopped = fmt.Sprintf("stopped after %d module evaluations (module calls fan out too far); the rest is not judged", MaxModuleEvaluations)
	} else if budget := instanceBudget * st.o.MaxInstances; st.instances > budget {
		st.stopped = fmt.Sprintf("stopped after %d resource instance evaluations (%d times --max-instances %d, across all blocks, modules and passes: count or for_each multiply too far); the rest is not judged", budget, instanceBudget, st.o.MaxInstances)
	}
	return st.stopped != ""
}

// file parses path once per Load, after checking its size and its nesting.
func (st *state) file(p *hclparse.Parser, path string) (*hcl.File, *FileError) {
	if st.used != nil {
		st.used[path] = true
	}
	if f, ok := st.files[path]; ok {
		return f, st.fileErr[path]
	}
	f, fe := st.parse(p, path)
	st.files[path], st.fileErr[path] = f, fe
	return f, fe
}

func (st *state) parse(p *hclparse.Parser, path string) (*hcl.File, *FileError) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &FileError{File: path, Msg: err.Error()}
	}
	if !fi.Mode().IsRegular() {
		return nil, &FileError{File: path, Msg: NotRegular}
	}
	if fi.Size() > st.o.MaxFileSize {
		return nil, &FileError{File: path, Msg: fmt.Sprintf("not read: %d bytes, larger than --max-file-size %d", fi.Size(), st.o.MaxFileSize)}
	}
	data, err := limits.ReadLimited(path, st.o.MaxFileSize) // the size may change after Stat
	if err != nil {
		return nil, &FileError{File: path, Msg: err.Error()}
	}
	return parseData(p, path, data)
}

// parseData parses HCL native syntax, or HCL's JSON syntax for .json files (.tf.json, .tfvars.json), after checking
// its nesting.
func parseData(p *hclparse.Parser, path string, data []byte) (*hcl.File, *FileError) {
	if depth, line := nesting(data); depth > MaxNesting {
		return nil, &FileError{File: path, Line: line, Msg: fmt.Sprintf("not parsed: nested more than %d levels deep", MaxNesting)}
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(path, ".json") {
		f, diags = p.ParseJSON(data, path)
	} else {
		f, diags = p.ParseHCL(data, path)
	}
	if diags.HasErrors() {
		return nil, diagError(path, diags)
	}
	return f, nil
}

// nesting returns the deepest bracket nesting ((, [, {) of HCL or JSON text, outside strings and comments, and the
// line where it was reached. Approximate (template interpolations count as nesting), which only errs towards
// refusing absurd files.
func nesting(data []byte) (max, line int) {
	depth, ln := 0, 1
	inStr, esc, lineComment, blockComment := false, false, false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if c == '\n' {
			ln++
			lineComment = false
			continue
		}
		switch {
		case lineComment:
		case blockComment:
			if c == '*' && i+1 < len(data) && data[i+1] == '/' {
				blockComment = false
				i++
			}
		case inStr:
			if esc {
				esc = false
			} else if c == '\\' {
				esc = true
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '#' || c == '/' && i+1 < len(data) && data[i+1] == '/':
			lineComment = true
		case c == '/' && i+1 < len(data) && data[i+1] == '*':
			blockComment = true
			i++
		case c == '(' || c == '[' || c == '{':
			depth++
			if depth > max {
				max, line = depth, ln
			}
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return max, line
}

// FileError is a file that cannot be parsed or evaluated, at a line.
type FileError struct {
	File string
	Line int
	Msg  string
}

func (e FileError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Result is what a configuration holds.
type Result struct {
	Trails []*model.Trail
	// Monitoring is the alarm chain the configuration declares (metric filters are on the trails' log groups).
	Monitoring *model.Monitoring
	// Telemetry are the CloudWatch telemetry rules for CloudTrail the configuration declares (nil: none).
	Telemetry *model.Telemetry
	Errors    []FileError
	Files     int
	evals     int // module evaluations (tests: the work stays bounded)
	reg       *registry
}

// NotRegular is the reason a named pipe, a device or a socket in a scanned tree is not read: reading one waits until
// something writes to it, for ever.
const NotRegular = "not a regular file (a named pipe, a device or a socket): not read"

// IsRegular reports whether path (links followed) is a regular file, safe to read.
func IsRegular(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// IsConfig reports whether dir holds Terraform files.
func IsConfig(dir string) bool {
	m1, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	m2, _ := filepath.Glob(filepath.Join(dir, "*.tf.json"))
	return len(m1)+len(m2) > 0
}

// LocalCalls lists the directories that dir's module blocks call through a local source ("./x", "../y", "./"),
// cleaned and joined to dir, read from the parsed configuration (a source in a comment or a string elsewhere does not
// count). Files that do not parse, or are over the size or nesting limits, are left out (Load reports them).
func LocalCalls(dir string, cache *Cache) []string {
	var out []string
	if cache == nil {
		cache = NewCache(0)
	}
	st := &state{o: Options{Ctx: context.Background(), MaxFileSize: cache.maxFileSize}, files: cache.files, fileErr: cache.fileErr}
	p := hclparse.NewParser()
	hcls, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
	jsons, _ := filepath.Glob(filepath.Join(dir, "*.tf.json"))
	for _, path := range append(hcls, jsons...) {
		// Only a file that mentions "module" can call one: the others are not parsed (nor kept) here.
		if !IsRegular(path) {
			continue
		}
		if data, err := limits.ReadLimited(path, cache.maxFileSize); err != nil || !bytes.Contains(data, []byte("module")) {
			continue
		}
		f, fe := st.file(p, path)
		if fe != nil {
			continue
		}
		content, _, _ := f.Body.PartialContent(rootSchema)
		for _, b := range content.Blocks {
			if b.Type != "module" {
				continue
			}
			c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "source"}}})
			a := c.Attributes["source"]
			if a == nil {
				continue
			}
			v, diags := a.Expr.Value(nil)
			if diags.HasErrors() || v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
				continue
			}
			if src := v.AsString(); src == "." || src == ".." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") {
				out = append(out, filepath.Clean(filepath.Join(dir, src)))
			}
		}
	}
	return out
}

// Load evaluates the root module in dir.
func Load(dir string, o Options) *Result {
	res := &Result{}
	vars := map[string]cty.Value{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.tfvars"))
	auto, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars"))
	autoJSON, _ := filepath.Glob(filepath.Join(dir, "*.auto.tfvars.json"))
	var varFiles []string
	for _, f := range files {
		if filepath.Base(f) == "terraform.tfvars" {
			varFiles = append(varFiles, f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "terraform.tfvars.json")); err == nil {
		varFiles = append(varFiles, filepath.Join(dir, "terraform.tfvars.json"))
	}
	varFiles = append(append(append(varFiles, auto...), autoJSON...), o.VarFiles...)
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	for _, f := range varFiles {
		if err := readVarFile(f, vars, o.MaxFileSize); err != nil {
			res.Errors = append(res.Errors, *err)
		}
	}
	for k, v := range o.Vars {
		vars[k] = cty.StringVal(v)
	}
	if o.Ctx == nil {
		o.Ctx = context.Background()
	}
	if o.MaxInstances <= 0 {
		o.MaxInstances = DefaultMaxInstances
	}
	if o.Cache == nil || o.Cache.maxFileSize != o.MaxFileSize {
		o.Cache = NewCache(o.MaxFileSize)
	}
	st := &state{o: o, files: o.Cache.files, fileErr: o.Cache.fileErr, cycles: map[string]bool{}, used: map[string]bool{}, limitSeen: map[string]bool{}}
	abs, _ := filepath.Abs(dir)
	m := &module{dir: dir, inputs: vars, fromRoot: true, res: res, modulesJSON: readModulesJSON(dir), st: st, chain: []string{abs}}
	m.load()
	res.evals = st.evals
	res.Files = len(st.used) // each file once, however often its module was evaluated
	// What this root read is not kept for the next roots: memory stays bounded by one root's files (a module another
	// root calls is parsed again there).
	for f := range st.used {
		delete(st.files, f)
		delete(st.fileErr, f)
	}
	for _, t := range res.Trails {
		if t.Source != nil {
			t.Source.Root = dir
		}
	}
	res.Errors = append(res.Errors, st.limitErrs...)
	if st.stopped != "" {
		res.Errors = append(res.Errors, FileError{File: dir, Msg: "evaluation " + st.stopped})
	}
	return res
}

func readVarFile(path string, into map[string]cty.Value, maxSize int64) *FileError {
	data, err := limits.ReadLimited(path, maxSize)
	if err != nil {
		return &FileError{File: path, Msg: err.Error()}
	}
	f, fe := parseData(hclparse.NewParser(), path, data)
	if fe != nil {
		return fe
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return diagError(path, diags)
	}
	for name, a := range attrs {
		v, d := a.Expr.Value(nil)
		if d.HasErrors() {
			return diagError(path, d)
		}
		into[name] = v
	}
	return nil
}

func diagError(file string, diags hcl.Diagnostics) *FileError {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			line := 0
			if d.Subject != nil {
				line = d.Subject.Start.Line
				file = d.Subject.Filename
			}
			return &FileError{File: file, Line: line, Msg: d.Summary + ": " + d.Detail}
		}
	}
	return &FileError{File: file, Msg: diags.Error()}
}

// modulesJSON maps module keys ("a.b") to the directories `terraform init` downloaded them to.
func readModulesJSON(root string) map[string]string {
	path := filepath.Join(root, ".terraform", "modules", "modules.json")
	if !IsRegular(path) {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var doc struct{ Modules []struct{ Key, Dir string } }
	if json.Unmarshal(data, &doc) != nil {
		return nil
	}
	out := map[string]string{}
	for _, m := range doc.Modules {
		out[m.Key] = filepath.Join(root, m.Dir)
	}
	return out
}

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "variable", LabelNames: []string{"name"}}, {Type: "locals"}, {Type: "output", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}}, {Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "module", LabelNames: []string{"name"}}, {Type: "provider", LabelNames: []string{"name"}},
	{Type: "terraform"}, {Type: "moved"}, {Type: "import"}, {Type: "check", LabelNames: []string{"name"}},
	{Type: "removed"},
}}

// block is a resource, data source or module block.
type block struct {
	kind, typ, name string
	body            hcl.Body
	rng             hcl.Range
	file            string
}

// varType is a variable's type constraint with its optional() defaults.
type varType struct {
	ty       cty.Type
	defaults *typeexpr.Defaults
}

// apply fills optional attributes' defaults and converts to the type, as Terraform does with a variable's value; a
// value that does not convert is kept as it is.
func (vt varType) apply(v cty.Value) cty.Value {
	if v.IsNull() || !v.IsWhollyKnown() {
		return v
	}
	if vt.defaults != nil {
		v = vt.defaults.Apply(v)
	}
	if c, err := convert.Convert(v, vt.ty); err == nil {
		return c
	}
	return v
}

func (vt varType) applyIfSet(v cty.Value) cty.Value {
	if vt.ty == cty.NilType {
		return v
	}
	return vt.apply(v)
}

// module is one module instance being evaluated.
type module struct {
	dir         string
	addr        string // "" for the root, "module.a." for children
	key         string // modules.json key
	inputs      map[string]cty.Value
	fromRoot    bool
	res         *Result
	modulesJSON map[string]string
	depth       int
	st          *state
	chain       []string // absolute directories of the module calls that led here, the root first
	regionAttr  *hcl.Attribute
	// aliasRegionAttr are the region attributes of aliased aws providers (nil: none given), aliasRegion their values
	// ("" while unknown): a resource with provider = aws.<alias> is in that region.
	aliasRegionAttr map[string]*hcl.Attribute
	aliasRegion     map[string]string
	// accountAttr and aliasAccountAttr are the allowed_account_ids of the default and aliased aws providers;
	// account and aliasAccount the one account each allows ("" while unknown or when several are allowed). The
	// provider refuses to run against any other account ("allowed_account_ids": Terraform AWS provider
	// documentation, "Argument Reference"), so a resource it makes is in that account.
	accountAttr      *hcl.Attribute
	aliasAccountAttr map[string]*hcl.Attribute
	account          string
	aliasAccount     map[string]string
	notCreated       bool // a module call with count = 0: every trail in it is not created

	variables map[string]*hcl.Attribute // default expressions
	varTypes  map[string]varType
	varDecl   map[string]bool
	locals    map[string]*hcl.Attribute
	outputs   map[string]*hcl.Attribute
	resources []block
	data      []block
	modules   []block
	region    string
	sources   map[string][]string // file -> lines, for inline suppressions

	// evaluated
	vals     map[string]cty.Value // "var", "local", resource types, "data", "module"
	children map[string]*module
	outVals  map[string]cty.Value
	// childInputs are the inputs each child was last evaluated with: a pass that would give it the same inputs
	// reuses it instead of evaluating it again.
	childInputs map[string]map[string]cty.Value
	// unset are the variables with no value (no default, no tfvars, no --var, or not passed by the module call).
	unset []string
}

func (m *module) load() {
	m.variables, m.varDecl, m.locals, m.outputs = map[string]*hcl.Attribute{}, map[string]bool{}, map[string]*hcl.Attribute{}, map[string]*hcl.Attribute{}
	m.varTypes = map[string]varType{}
	m.sources, m.children, m.childInputs = map[string][]string{}, map[string]*module{}, map[string]map[string]cty.Value{}
	m.st.evals++
	if m.st.stop() {
		m.vals, m.outVals = map[string]cty.Value{}, map[string]cty.Value{}
		return
	}
	p := hclparse.NewParser()
	hcls, _ := filepath.Glob(filepath.Join(m.dir, "*.tf"))
	jsons, _ := filepath.Glob(filepath.Join(m.dir, "*.tf.json"))
	sort.Strings(hcls)
	sort.Strings(jsons)
	declared := map[[2]string]int{} // resource type and name -> index in m.resources
	for _, path := range append(hcls, jsons...) {
		f, fe := m.st.file(p, path)
		m.res.Files++
		if fe != nil {
			m.res.Errors = append(m.res.Errors, *fe)
			continue
		}
		m.sources[path] = strings.Split(string(f.Bytes), "\n")
		content, _, diags := f.Body.PartialContent(rootSchema)
		if diags.HasErrors() {
			m.res.Errors = append(m.res.Errors, *diagError(path, diags))
			continue
		}
		for _, b := range content.Blocks {
			switch b.Type {
			case "variable":
				m.varDecl[b.Labels[0]] = true
				c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "default"}, {Name: "type"}}})
				if a := c.Attributes["default"]; a != nil {
					m.variables[b.Labels[0]] = a
				}
				if a := c.Attributes["type"]; a != nil {
					// Terraform's type constraints, optional(type, default) attributes included (hcl ext/typeexpr).
					if ty, defaults, diags := typeexpr.TypeConstraintWithDefaults(a.Expr); !diags.HasErrors() {
						m.varTypes[b.Labels[0]] = varType{ty: ty, defaults: defaults}
					}
				}
			case "locals":
				attrs, diags := b.Body.JustAttributes()
				if diags.HasErrors() {
					m.res.Errors = append(m.res.Errors, *diagError(path, diags))
				}
				for k, a := range attrs {
					m.locals[k] = a
				}
			case "output":
				c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "value"}}})
				if a := c.Attributes["value"]; a != nil {
					m.outputs[b.Labels[0]] = a
				}
			case "resource":
				// Terraform refuses a configuration that declares a resource twice ("Duplicate resource"). (A map:
				// comparing each block with every earlier one took 40 s on 105,000 blocks.)
				addr := [2]string{b.Labels[0], b.Labels[1]}
				if i, dup := declared[addr]; dup {
					prev := m.resources[i]
					if !m.st.cycles["dup:"+path+":"+strconv.Itoa(b.DefRange.Start.Line)] {
						m.st.cycles["dup:"+path+":"+strconv.Itoa(b.DefRange.Start.Line)] = true
						m.res.Errors = append(m.res.Errors, FileError{File: path, Line: b.DefRange.Start.Line,
							Msg: fmt.Sprintf("%s%s.%s is declared twice (first at %s:%d): Terraform refuses the configuration", m.addr, b.Labels[0], b.Labels[1], prev.file, prev.rng.Start.Line)})
					}
				} else {
					declared[addr] = len(m.resources)
				}
				m.resources = append(m.resources, block{kind: "resource", typ: b.Labels[0], name: b.Labels[1], body: b.Body, rng: b.DefRange, file: path})
			case "data":
				m.data = append(m.data, block{kind: "data", typ: b.Labels[0], name: b.Labels[1], body: b.Body, rng: b.DefRange, file: path})
			case "module":
				m.modules = append(m.modules, block{kind: "module", name: b.Labels[0], body: b.Body, rng: b.DefRange, file: path})
			case "provider":
				if b.Labels[0] == "aws" {
					c, _, _ := b.Body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "region"}, {Name: "alias"}, {Name: "allowed_account_ids"}}})
					if c.Attributes["alias"] == nil {
						if a := c.Attributes["region"]; a != nil {
							m.regionAttr = a // evaluated once the variables are known (region = var.region)
						}
						m.accountAttr = c.Attributes["allowed_account_ids"]
					}
					if al := c.Attributes["alias"]; al != nil {
						if v, d := al.Expr.Value(nil); !d.HasErrors() && v.Type() == cty.String && v.IsKnown() {
							if m.aliasRegionAttr == nil {
								m.aliasRegionAttr, m.aliasAccountAttr = map[string]*hcl.Attribute{}, map[string]*hcl.Attribute{}
							}
							m.aliasRegionAttr[v.AsString()] = c.Attributes["region"]
							m.aliasAccountAttr[v.AsString()] = c.Attributes["allowed_account_ids"]
						}
					}
				}
			}
		}
	}
	m.evaluate()
}

// functions are the Terraform functions the evaluator knows; others make a value unknown. Those that can build a
// result far larger than their arguments check its size first (boundedFunctions).
func (st *state) functions() map[string]function.Function {
	if st.funcs == nil {
		st.funcs = baseFunctions()
		for name, f := range boundedFunctions(&st.hit) {
			st.funcs[name] = f
		}
	}
	return st.funcs
}

func baseFunctions() map[string]function.Function {
	return map[string]function.Function{
		"format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc, "join": stdlib.JoinFunc, "split": stdlib.SplitFunc,
		"jsonencode": stdlib.JSONEncodeFunc, "jsondecode": stdlib.JSONDecodeFunc, "lower": stdlib.LowerFunc, "upper": stdlib.UpperFunc,
		"replace": stdlib.ReplaceFunc, "concat": stdlib.ConcatFunc, "merge": stdlib.MergeFunc, "lookup": stdlib.LookupFunc,
		"element": stdlib.ElementFunc, "length": stdlib.LengthFunc, "coalesce": stdlib.CoalesceFunc, "compact": stdlib.CompactFunc,
		"contains": stdlib.ContainsFunc, "keys": stdlib.KeysFunc, "values": stdlib.ValuesFunc, "flatten": stdlib.FlattenFunc,
		"distinct": stdlib.DistinctFunc, "trimspace": stdlib.TrimSpaceFunc, "trimsuffix": stdlib.TrimSuffixFunc,
		"trimprefix": stdlib.TrimPrefixFunc, "substr": stdlib.SubstrFunc, "min": stdlib.MinFunc, "max": stdlib.MaxFunc,
		"try": tryfunc.TryFunc, "can": tryfunc.CanFunc, "tostring": stdlib.MakeToFunc(cty.String), "tonumber": stdlib.MakeToFunc(cty.Number),
		"tobool": stdlib.MakeToFunc(cty.Bool), "tolist": stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"toset": stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)), "tomap": stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"range": stdlib.RangeFunc, "slice": stdlib.SliceFunc, "zipmap": stdlib.ZipmapFunc, "regex": stdlib.RegexFunc,
	}
}

// ctx is the evaluation context: var, local, resources by type, data, module, path, plus count/each for an instance.
func (m *module) ctx(inst map[string]cty.Value) *hcl.EvalContext {
	vars := map[string]cty.Value{}
	for k, v := range m.vals {
		vars[k] = v
	}
	vars["path"] = cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(m.dir), "root": cty.StringVal(m.dir), "cwd": cty.StringVal(".")})
	vars["terraform"] = cty.ObjectVal(map[string]cty.Value{"workspace": cty.StringVal("default")})
	for k, v := range inst {
		vars[k] = v
	}
	return &hcl.EvalContext{Variables: vars, Functions: m.st.functions()}
}

// eval evaluates an expression; a failure to evaluate (an unsupported function, an attribute the evaluator does not
// model) is an unknown value with the reason, never an error.
func (m *module) eval(expr hcl.Expression, inst map[string]cty.Value) cty.Value {
	if expr == nil {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	ctx := m.ctx(inst)
	if n := estimate(expr, ctx); n > MaxExprSize {
		return m.overLimit(expr.Range(), fmt.Sprintf("not evaluated: it could build about %d bytes from what it refers to, more than the %d-byte evaluation limit", n, MaxExprSize))
	}
	m.st.hit.msg = ""
	v, diags := expr.Value(ctx)
	if m.st.hit.msg != "" {
		return m.overLimit(expr.Range(), m.st.hit.msg)
	}
	if diags.HasErrors() {
		r := expr.Range()
		return cty.DynamicVal.Mark(why(fmt.Sprintf("%s at %s:%d cannot be evaluated before apply (%s)", exprText(m, r), filepath.Base(r.Filename), r.Start.Line, diags[0].Summary)))
	}
	if n := sizeOf(v, MaxValueSize); n > MaxValueSize {
		return m.overLimit(expr.Range(), fmt.Sprintf("its value is over %d bytes, the evaluation limit of one value", MaxValueSize))
	}
	return v
}

func exprText(m *module, r hcl.Range) string {
	lines := m.sources[r.Filename]
	if r.Start.Line == r.End.Line && r.Start.Line-1 < len(lines) {
		l := lines[r.Start.Line-1]
		if r.Start.Column-1 <= len(l) && r.End.Column-1 <= len(l) && r.Start.Column <= r.End.Column {
			return strings.TrimSpace(l[r.Start.Column-1 : r.End.Column-1])
		}
	}
	return "an expression"
}

// reason returns the chain that made v unknown.
func reason(v cty.Value) string {
	for mk := range v.Marks() {
		if w, ok := mk.(why); ok {
			return string(w)
		}
	}
	_, pm := v.UnmarkDeepWithPaths()
	for _, p := range pm {
		for mk := range p.Marks {
			if w, ok := mk.(why); ok {
				return string(w)
			}
		}
	}
	return "a value known only after apply"
}

// evaluate runs passes until the values settle: each pass evaluates variables, locals, data sources, resources and
// child modules with what the previous pass knew.
func (m *module) evaluate() {
	m.vals = map[string]cty.Value{}
	varVals := map[string]cty.Value{}
	for name := range m.varDecl {
		switch v, ok := m.inputs[name]; {
		case ok:
			varVals[name] = m.varTypes[name].applyIfSet(v)
		case m.variables[name] != nil:
			dv, _ := m.variables[name].Expr.Value(nil)
			varVals[name] = m.varTypes[name].applyIfSet(dv)
		default:
			source := "no default, no tfvars and no --var"
			if !m.fromRoot {
				source = "the module call does not pass it"
			}
			varVals[name] = cty.DynamicVal.Mark(why(fmt.Sprintf("%svar.%s has no value (%s)", m.addr, name, source)))
			m.unset = append(m.unset, name)
		}
	}
	m.vals["var"] = cty.ObjectVal(varVals)
	// The default provider's region, as Terraform resolves it: a literal, or a variable with a default or a value.
	if m.regionAttr != nil {
		if v := m.eval(m.regionAttr.Expr, nil); v.IsWhollyKnown() && !v.IsNull() && v.Type() == cty.String {
			v, _ = v.Unmark()
			m.region = v.AsString()
		}
	}
	m.aliasRegion = map[string]string{}
	for alias, a := range m.aliasRegionAttr {
		m.aliasRegion[alias] = ""
		if a == nil {
			continue
		}
		if v := m.eval(a.Expr, nil); v.IsWhollyKnown() && !v.IsNull() && v.Type() == cty.String {
			v, _ = v.Unmark()
			m.aliasRegion[alias] = v.AsString()
		}
	}
	if m.accountAttr != nil {
		m.account = m.oneAccount(m.accountAttr)
	}
	m.aliasAccount = map[string]string{}
	for alias, a := range m.aliasAccountAttr {
		m.aliasAccount[alias] = m.oneAccount(a)
	}
	// Settle what this module computes by itself (locals, data sources, resources: no I/O) before calling child
	// modules, so that each child is evaluated with settled inputs, once; re-run only while the children's outputs
	// still change what this module knows. (A fixed number of whole passes re-evaluated every child each pass:
	// exponential in module depth.)
	settle := func() {
		limit := len(m.locals) + len(m.data) + len(m.resources) + 2
		var prev cty.Value
		for i := 0; i < limit; i++ {
			locals := map[string]cty.Value{}
			for k, a := range m.locals {
				locals[k] = m.eval(a.Expr, nil)
			}
			m.vals["local"] = cty.ObjectVal(locals)
			m.evalData()
			m.evalResources()
			snap := cty.ObjectVal(m.vals)
			if i > 0 && snap.RawEquals(prev) {
				return
			}
			prev = snap
		}
	}
	for pass := 0; pass < 5 && !m.st.stop(); pass++ {
		settle()
		before := cty.ObjectVal(m.vals)
		m.evalModules()
		if len(m.modules) == 0 || cty.ObjectVal(m.vals).RawEquals(before) && pass > 0 {
			break
		}
	}
	m.outVals = map[string]cty.Value{}
	for k, a := range m.outputs {
		m.outVals[k] = m.eval(a.Expr, nil)
	}
	if m.addr == "" {
		m.collectTrails()
	}
}

// symbolic evaluates expr with each string variable that has no value standing for itself, as the placeholder
// "${var.NAME}" (with the module's address), and returns the string it gives. Two values built from the same unset
// variable then hold the same placeholder: a role policy that names its log group by var.group, as the group's own
// name does, is seen to name that group whatever var.group turns out to be (issue 21). A placeholder matches only
// itself in an IAM pattern (its "${", "." and "}" are literals there), so a policy that allows a write with the
// placeholders allows it with any value put in their place; the converse does not hold, and a caller that finds a
// write refused under placeholders must say "unknown", never "refused". Locals are evaluated again with the
// placeholders; resources keep the values the evaluation settled on.
func (m *module) symbolic(expr hcl.Expression, inst map[string]cty.Value) (string, bool) {
	if expr == nil || len(m.unset) == 0 || !m.placeholderSafe(expr, 0) {
		return "", false
	}
	saved := map[string]cty.Value{"var": m.vals["var"], "local": m.vals["local"]}
	defer func() { m.vals["var"], m.vals["local"] = saved["var"], saved["local"] }()
	vars := saved["var"].AsValueMap()
	for _, name := range m.unset {
		if t := m.varTypes[name].ty; t != cty.NilType && t != cty.String && t != cty.DynamicPseudoType {
			continue // a list or a number cannot hold a string placeholder
		}
		vars[name] = cty.StringVal("${" + m.addr + "var." + name + "}")
	}
	m.vals["var"] = cty.ObjectVal(vars)
	locals := map[string]cty.Value{}
	for k, a := range m.locals {
		locals[k] = m.eval(a.Expr, nil)
	}
	m.vals["local"] = cty.ObjectVal(locals)
	return known(m.eval(expr, inst))
}

// placeholderSafe reports whether expr only places values (templates, references, object and list constructors,
// and functions that only put their arguments in their result): a conditional, an operator, an index or a function
// such as lower or lookup could decide something from a placeholder, so an expression with one, here or in a local
// it refers to, is not evaluated symbolically. JSON syntax is not walked and is not safe.
func (m *module) placeholderSafe(expr hcl.Expression, depth int) bool {
	if _, ok := expr.(hclsyntax.Expression); !ok || depth > 8 {
		return false
	}
	safe := true
	hclsyntax.VisitAll(expr.(hclsyntax.Node), func(n hclsyntax.Node) hcl.Diagnostics {
		switch x := n.(type) {
		case *hclsyntax.ConditionalExpr, *hclsyntax.BinaryOpExpr, *hclsyntax.UnaryOpExpr, *hclsyntax.ForExpr,
			*hclsyntax.IndexExpr, *hclsyntax.SplatExpr, *hclsyntax.RelativeTraversalExpr:
			safe = false
		case *hclsyntax.FunctionCallExpr:
			switch x.Name {
			case "jsonencode", "format", "join", "concat", "tostring", "tolist":
			default:
				safe = false
			}
		case *hclsyntax.ScopeTraversalExpr:
			if x.Traversal.RootName() == "local" && len(x.Traversal) > 1 {
				if a, ok := x.Traversal[1].(hcl.TraverseAttr); ok && m.locals[a.Name] != nil {
					safe = safe && m.placeholderSafe(m.locals[a.Name].Expr, depth+1)
				}
			}
		}
		return nil
	})
	return safe
}

// placeholders for values known only after apply.
const (
	partitionTok = "${partition}"
	regionTok    = "${region}"
	accountTok   = "${account}"
)

func (m *module) regionOr() string {
	if m.region != "" {
		return m.region
	}
	return regionTok
}

// regionFor is the region a resource is created in: its own region argument (AWS provider 6, "Enhanced Region
// Support"), else its provider's (provider = aws.<alias>: that provider block's region; an alias this module does
// not declare is passed in by its caller, unknown here), else the default provider's. A region known only at
// deployment is the placeholder.
func (m *module) regionFor(body hcl.Body, inst map[string]cty.Value) string {
	c, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "region"}, {Name: "provider"}}})
	if a := c.Attributes["region"]; a != nil {
		if r := strOr(m.eval(a.Expr, inst), ""); r != "" {
			return r
		}
		return regionTok
	}
	if a := c.Attributes["provider"]; a != nil {
		if alias, ok := awsAlias(a.Expr); ok && alias != "" {
			if r := m.aliasRegion[alias]; r != "" {
				return r
			}
			return regionTok
		}
	}
	return m.regionOr()
}

// awsAlias reads a reference to an aws provider configuration: "" for aws itself, the alias for aws.<alias>; ok is
// false for anything else (another provider, or not a reference).
func awsAlias(expr hcl.Expression) (alias string, ok bool) {
	tr, d := hcl.AbsTraversalForExpr(expr)
	if d.HasErrors() || tr.RootName() != "aws" {
		return "", false
	}
	if len(tr) == 1 {
		return "", true
	}
	if at, isAttr := tr[1].(hcl.TraverseAttr); isAttr {
		return at.Name, true
	}
	return "", false
}

// providerFor is the region and account a module call's default aws provider has: the caller's default provider's,
// or, with providers = { aws = aws.<alias> }, that alias's ("" for what is unknown: review, a child given another
// provider took the caller's default account).
func (m *module) providerFor(call hcl.Body) (region, account string) {
	c, _, _ := call.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "providers"}}})
	a := c.Attributes["providers"]
	if a == nil {
		return m.region, m.account
	}
	pairs, d := hcl.ExprMap(a.Expr)
	if d.HasErrors() {
		return "", ""
	}
	for _, kv := range pairs {
		if hcl.ExprAsKeyword(kv.Key) != "aws" {
			continue
		}
		alias, ok := awsAlias(kv.Value)
		switch {
		case !ok:
			return "", ""
		case alias == "":
			return m.region, m.account
		}
		return m.aliasRegion[alias], m.aliasAccount[alias]
	}
	return m.region, m.account
}

// oneAccount is the account a provider's allowed_account_ids allows when it allows exactly one known account id,
// else "".
func (m *module) oneAccount(a *hcl.Attribute) string {
	if a == nil {
		return ""
	}
	v := m.eval(a.Expr, nil)
	if !v.IsWhollyKnown() || v.IsNull() || !(v.Type().IsListType() || v.Type().IsSetType() || v.Type().IsTupleType()) || v.LengthInt() != 1 {
		return ""
	}
	v, _ = v.Unmark()
	e := v.AsValueSlice()[0]
	if e.Type() != cty.String {
		return ""
	}
	if id := e.AsString(); model.IsAccountID(id) {
		return id
	}
	return ""
}

// accountFor is the account a resource is created in: its provider's one allowed account (provider = aws.<alias>:
// that provider block's; else the default provider's), else the placeholder known only at deployment.
func (m *module) accountFor(body hcl.Body) string {
	c, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "provider"}}})
	if a := c.Attributes["provider"]; a != nil {
		if alias, ok := awsAlias(a.Expr); ok && alias != "" {
			if id := m.aliasAccount[alias]; id != "" {
				return id
			}
			return accountTok
		}
	}
	if m.account != "" {
		return m.account
	}
	return accountTok
}

// partitionIn is the partition of a region (internal/partition), the placeholder while the region is one.
func partitionIn(region string) string {
	if region == regionTok {
		return partitionTok
	}
	return partition.OfRegion(region).Name
}

// instances evaluates count and for_each: the instance keys (nil key for a single instance), whether the count is
// unknown, and the count/each values for each.
type instance struct {
	key  cty.Value // cty.NilVal: no count/for_each
	vars map[string]cty.Value
}

// countError says why a known count is one Terraform refuses ("Invalid count argument": a whole number of zero or
// more; a string that is not a number is "Incorrect value type: number required"), or "" for a valid or unknown one.
func (m *module) countError(body hcl.Body) string {
	c, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "count"}}})
	a := c.Attributes["count"]
	if a == nil {
		return ""
	}
	v := m.eval(a.Expr, nil)
	if !v.IsWhollyKnown() || v.IsNull() {
		return ""
	}
	v, _ = v.Unmark()
	if v.Type() == cty.String {
		if n, err := convert.Convert(v, cty.Number); err == nil {
			v = n
		} else {
			return fmt.Sprintf("count = %q: Terraform refuses it (Incorrect value type: number required)", v.AsString())
		}
	}
	if v.Type() != cty.Number {
		return "count: Terraform refuses it (Incorrect value type: number required)"
	}
	bf := v.AsBigFloat()
	if !bf.IsInt() || bf.Sign() < 0 {
		return fmt.Sprintf("count = %s: Terraform refuses it (Invalid count argument: must be a whole number greater than or equal to zero)", bf.Text('g', -1))
	}
	return ""
}

// instances are a block's instances (count, for_each) and, when they are judged as one, why; unknown says that how
// many there are is known only at deployment (not merely more than --max-instances).
func (m *module) instances(body hcl.Body) ([]instance, string, bool) {
	c, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "count"}, {Name: "for_each"}}})
	if a := c.Attributes["count"]; a != nil {
		v := m.eval(a.Expr, nil)
		if !v.IsWhollyKnown() || v.IsNull() {
			return []instance{{key: cty.NumberIntVal(0), vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(0)})}}},
				"count is unknown before apply (" + reason(v) + "); judged as one instance", true
		}
		v, _ = v.Unmark()
		if v.Type() == cty.String { // Terraform converts count = "3" to a number
			if cv, err := convert.Convert(v, cty.Number); err == nil {
				v = cv
			}
		}
		n := 0
		if v.Type() == cty.Number {
			bf := v.AsBigFloat()
			i, _ := bf.Int64()
			n = int(i)
		}
		if n > m.st.o.MaxInstances {
			return []instance{{key: cty.NumberIntVal(0), vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(0)})}}},
				fmt.Sprintf("count = %d exceeds --max-instances %d; judged as one instance", n, m.st.o.MaxInstances), false
		}
		if m.st.instances += n; m.st.stop() {
			return nil, m.st.stopped, false
		}
		var out []instance
		for i := 0; i < n; i++ {
			out = append(out, instance{key: cty.NumberIntVal(int64(i)), vars: map[string]cty.Value{"count": cty.ObjectVal(map[string]cty.Value{"index": cty.NumberIntVal(int64(i))})}})
		}
		return out, "", false
	}
	if a := c.Attributes["for_each"]; a != nil {
		v := m.eval(a.Expr, nil)
		if !v.IsWhollyKnown() || v.IsNull() {
			return []instance{{key: cty.StringVal("?"), vars: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("?"), "value": cty.DynamicVal})}}},
				"for_each is unknown before apply (" + reason(v) + "); judged as one instance", true
		}
		v, _ = v.UnmarkDeep()
		if v.CanIterateElements() && v.LengthInt() > m.st.o.MaxInstances {
			return []instance{{key: cty.StringVal("?"), vars: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal("?"), "value": cty.DynamicVal})}}},
				fmt.Sprintf("for_each has %d elements, more than --max-instances %d; judged as one instance", v.LengthInt(), m.st.o.MaxInstances), false
		}
		var out []instance
		if v.CanIterateElements() {
			if m.st.instances += v.LengthInt(); m.st.stop() {
				return nil, m.st.stopped, false
			}
			for it := v.ElementIterator(); it.Next(); {
				k, val := it.Element()
				if v.Type().IsSetType() {
					k = val
				}
				if k.Type() != cty.String {
					continue
				}
				out = append(out, instance{key: k, vars: map[string]cty.Value{"each": cty.ObjectVal(map[string]cty.Value{"key": k, "value": val})}})
			}
		}
		return out, "", false
	}
	if m.st.instances++; m.st.stop() {
		return nil, m.st.stopped, false
	}
	return []instance{{key: cty.NilVal}}, "", false
}

// collect wraps instance objects as Terraform exposes them: one object, a tuple (count) or a map (for_each).
func collect(insts []instance, objs []cty.Value, hasCount bool) cty.Value {
	if len(insts) == 1 && insts[0].key == cty.NilVal {
		return objs[0]
	}
	if hasCount {
		if len(objs) == 0 {
			return cty.EmptyTupleVal
		}
		return cty.TupleVal(objs)
	}
	mm := map[string]cty.Value{}
	for i, in := range insts {
		mm[in.key.AsString()] = objs[i]
	}
	if len(mm) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(mm)
}

func hasCount(body hcl.Body) bool {
	c, _, _ := body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "count"}}})
	return c.Attributes["count"] != nil
}

func (m *module) attrs(body hcl.Body, names ...string) map[string]*hcl.Attribute {
	var s hcl.BodySchema
	for _, n := range names {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	c, _, _ := body.PartialContent(&s)
	return c.Attributes
}

func (m *module) attrVal(attrs map[string]*hcl.Attribute, name string, inst map[string]cty.Value) cty.Value {
	a := attrs[name]
	if a == nil {
		return cty.NullVal(cty.DynamicPseudoType)
	}
	return m.eval(a.Expr, inst)
}

func strOr(v cty.Value, def string) string {
	v, _ = v.Unmark()
	if v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
		return v.AsString()
	}
	return def
}

// evalResources builds the objects of every resource: the attributes trailwatch models, others unknown.
func (m *module) evalResources() {
	for typ, names := range m.objects(m.resources, m.resourceObject) {
		m.vals[typ] = cty.ObjectVal(names)
	}
}

// objects evaluates every instance of blocks with obj and groups them by type and name, as Terraform exposes them.
func (m *module) objects(blocks []block, obj func(block, map[string]cty.Value) cty.Value) map[string]map[string]cty.Value {
	byType := map[string]map[string]cty.Value{}
	for _, b := range blocks {
		if m.st.stop() {
			break
		}
		insts, _, _ := m.instances(b.body)
		var objs []cty.Value
		for _, in := range insts {
			objs = append(objs, obj(b, in.vars))
		}
		if byType[b.typ] == nil {
			byType[b.typ] = map[string]cty.Value{}
		}
		byType[b.typ][b.name] = collect(insts, objs, hasCount(b.body))
	}
	return byType
}

func (m *module) resourceObject(b block, inst map[string]cty.Value) cty.Value {
	after := why(fmt.Sprintf("%s%s.%s is known only after apply", m.addr, b.typ, b.name))
	switch b.typ {
	case "aws_cloudwatch_log_group":
		a := m.attrs(b.body, "name", "retention_in_days")
		name := m.attrVal(a, "name", inst)
		n := strOr(name, b.typ+"."+b.name)
		if !name.IsWhollyKnown() && a["name"] != nil {
			if sym, ok := m.symbolic(a["name"].Expr, inst); ok {
				n = sym // the name built from unset variables, so that a policy naming the group the same way matches it
			}
		}
		// Since provider v3 the arn attribute has no ":*" (hashicorp/terraform-provider-aws#36678).
		region := m.regionFor(b.body, inst)
		arn := cty.StringVal(awsarn.LogGroupBare(partitionIn(region), region, m.accountFor(b.body), n))
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(n), "arn": arn, "id": cty.StringVal(n),
			"retention_in_days": m.attrVal(a, "retention_in_days", inst)})
	case "aws_iam_role":
		a := m.attrs(b.body, "name")
		n := strOr(m.attrVal(a, "name", inst), b.typ+"."+b.name)
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(n), "id": cty.StringVal(n),
			"arn": cty.StringVal(awsarn.Role(partitionIn(m.regionFor(b.body, inst)), m.accountFor(b.body), n)), "unique_id": cty.UnknownVal(cty.String).Mark(after)})
	case "aws_sns_topic":
		a := m.attrs(b.body, "name")
		n := strOr(m.attrVal(a, "name", inst), b.typ+"."+b.name)
		region := m.regionFor(b.body, inst)
		arn := cty.StringVal(awsarn.Topic(partitionIn(region), region, m.accountFor(b.body), n))
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(n), "arn": arn, "id": arn})
	case "aws_cloudwatch_log_metric_filter":
		a := m.attrs(b.body, "name")
		n := strOr(m.attrVal(a, "name", inst), b.typ+"."+b.name)
		var ts []cty.Value
		c, _, _ := b.body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "metric_transformation"}}})
		for _, mt := range c.Blocks {
			ta := m.attrs(mt.Body, "name", "namespace", "value")
			ts = append(ts, cty.ObjectVal(map[string]cty.Value{"name": m.attrVal(ta, "name", inst), "namespace": m.attrVal(ta, "namespace", inst),
				"value": m.attrVal(ta, "value", inst)}))
		}
		obj := map[string]cty.Value{"name": cty.StringVal(n), "id": cty.StringVal(n)}
		if len(ts) > 0 {
			obj["metric_transformation"] = cty.TupleVal(ts)
		}
		return cty.ObjectVal(obj)
	case "aws_iam_policy":
		a := m.attrs(b.body, "name", "policy")
		n := strOr(m.attrVal(a, "name", inst), b.typ+"."+b.name)
		arn := cty.StringVal(awsarn.Policy(partitionIn(m.regionFor(b.body, inst)), m.accountFor(b.body), n))
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(n), "arn": arn, "id": arn, "policy": m.attrVal(a, "policy", inst)})
	}
	return cty.DynamicVal.Mark(after)
}

// evalData builds data sources: aws_iam_policy_document (its json), aws_cloudwatch_log_group, aws_caller_identity,
// aws_region, aws_partition, aws_iam_role and aws_iam_policy; others unknown.
func (m *module) evalData() {
	data := map[string]cty.Value{}
	for typ, names := range m.objects(m.data, m.dataObject) {
		data[typ] = cty.ObjectVal(names)
	}
	m.vals["data"] = cty.ObjectVal(data)
}

func (m *module) dataObject(b block, inst map[string]cty.Value) cty.Value {
	switch b.typ {
	case "aws_iam_policy_document":
		return cty.ObjectVal(map[string]cty.Value{"json": m.policyDocument(b.body, inst)})
	case "aws_cloudwatch_log_group":
		n := strOr(m.attrVal(m.attrs(b.body, "name"), "name", inst), b.name)
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(n),
			"arn": cty.StringVal(awsarn.LogGroupBare(partitionIn(m.regionFor(b.body, inst)), m.regionFor(b.body, inst), m.accountFor(b.body), n))})
	case "aws_caller_identity":
		return cty.ObjectVal(map[string]cty.Value{"account_id": cty.StringVal(m.accountFor(b.body)), "id": cty.StringVal(m.accountFor(b.body))})
	case "aws_region":
		// "region" is the provider v6 attribute; "name" the older, deprecated one. Its provider's region (field trial:
		// provider = aws.<alias> gave the default provider's).
		r := m.regionFor(b.body, inst)
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(r), "id": cty.StringVal(r), "region": cty.StringVal(r)})
	case "aws_partition":
		// DNS suffixes from the AWS partitions (botocore endpoints.json): amazonaws.com except in China.
		p, dns, rev := partitionIn(m.regionFor(b.body, inst)), "amazonaws.com", "com.amazonaws"
		if p == "aws-cn" {
			dns, rev = "amazonaws.com.cn", "cn.com.amazonaws"
		}
		return cty.ObjectVal(map[string]cty.Value{"partition": cty.StringVal(p), "id": cty.StringVal(p), "dns_suffix": cty.StringVal(dns), "reverse_dns_prefix": cty.StringVal(rev)})
	case "aws_iam_role":
		n := strOr(m.attrVal(m.attrs(b.body, "name"), "name", inst), b.name)
		return cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal(n), "arn": cty.StringVal(awsarn.Role(partitionIn(m.regionFor(b.body, inst)), m.accountFor(b.body), n))})
	}
	return cty.DynamicVal.Mark(why(fmt.Sprintf("data.%s.%s is read at plan time from the account", b.typ, b.name)))
}

// policyDocument renders an aws_iam_policy_document's statements as the JSON Terraform produces.
func (m *module) policyDocument(body hcl.Body, inst map[string]cty.Value) cty.Value {
	stmtSchema := &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "sid"}, {Name: "effect"}, {Name: "actions"}, {Name: "not_actions"}, {Name: "resources"}, {Name: "not_resources"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "principals"}, {Type: "not_principals"}, {Type: "condition"}},
	}
	c, _, _ := body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "statement"}}})
	var stmts []any
	for _, sb := range c.Blocks {
		sc, _, _ := sb.Body.PartialContent(stmtSchema)
		st := map[string]any{"Effect": "Allow"}
		for attr, key := range map[string]string{"sid": "Sid", "effect": "Effect", "actions": "Action", "not_actions": "NotAction", "resources": "Resource", "not_resources": "NotResource"} {
			if a := sc.Attributes[attr]; a != nil {
				v := m.eval(a.Expr, inst)
				if !v.IsWhollyKnown() {
					return cty.DynamicVal.Mark(why("a policy document statement: " + reason(v)))
				}
				st[key] = toGo(v)
			}
		}
		for _, pb := range sc.Blocks {
			if pb.Type == "condition" {
				st["Condition"] = map[string]any{"_": "not evaluated"}
				continue
			}
			pa := m.attrs(pb.Body, "type", "identifiers")
			typ := strOr(m.attrVal(pa, "type", inst), "AWS")
			ids := m.attrVal(pa, "identifiers", inst)
			if !ids.IsWhollyKnown() {
				return cty.DynamicVal.Mark(why("a policy document principal: " + reason(ids)))
			}
			key := "Principal"
			if pb.Type == "not_principals" {
				key = "NotPrincipal"
			}
			p, _ := st[key].(map[string]any)
			if p == nil {
				p = map[string]any{}
			}
			if typ == "*" {
				st[key] = "*"
				continue
			}
			p[typ] = toGo(ids)
			st[key] = p
		}
		stmts = append(stmts, st)
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	return cty.StringVal(string(doc))
}

func toGo(v cty.Value) any {
	v, _ = v.UnmarkDeep()
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		var out []any
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, toGo(e))
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out[k.AsString()] = toGo(e)
		}
		return out
	}
	return nil
}

// sameInputs reports whether two input sets are identical, marks (unknown reasons) included.
func sameInputs(a, b map[string]cty.Value) bool {
	if a == nil || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !v.RawEquals(w) {
			return false
		}
	}
	return true
}

// evalModules evaluates module calls: local sources, and downloaded ones listed in .terraform/modules/modules.json.
func (m *module) evalModules() {
	mods := map[string]cty.Value{}
	for _, b := range m.modules {
		a := m.attrs(b.body, "source")
		src := strOr(m.attrVal(a, "source", nil), "")
		key := strings.TrimPrefix(m.key+"."+b.name, ".")
		dir := ""
		switch {
		case strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
			dir = filepath.Join(m.dir, src)
		case m.modulesJSON[key] != "":
			dir = m.modulesJSON[key]
		}
		if dir == "" {
			mods[b.name] = cty.DynamicVal.Mark(why(fmt.Sprintf("module.%s (%s) is not downloaded: run terraform init, or scan a plan", b.name, src)))
			continue
		}
		abs, _ := filepath.Abs(dir)
		if i := slices.Index(m.chain, abs); i >= 0 || m.depth >= MaxModuleDepth {
			msg := fmt.Sprintf("module.%s calls %s, which is already being evaluated (a module cycle: %s): not followed", b.name, src, strings.Join(append(append([]string(nil), m.chain[max(i, 0):]...), abs), " -> "))
			if i < 0 {
				msg = fmt.Sprintf("module.%s (%s) is more than %d module calls deep: not followed", b.name, src, MaxModuleDepth)
			}
			mods[b.name] = cty.DynamicVal.Mark(why(msg))
			if key := fmt.Sprintf("%s:%d", b.file, b.rng.Start.Line); !m.st.cycles[key] {
				m.st.cycles[key] = true
				m.res.Errors = append(m.res.Errors, FileError{File: b.file, Line: b.rng.Start.Line, Msg: msg})
			}
			continue
		}
		_, rest, _ := b.body.PartialContent(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "source"}, {Name: "version"},
			{Name: "count"}, {Name: "for_each"}, {Name: "providers"}, {Name: "depends_on"}}})
		attrs, _ := rest.JustAttributes()
		insts, _, _ := m.instances(b.body)
		var objs []cty.Value
		for i, in := range insts {
			inputs := map[string]cty.Value{}
			for k, at := range attrs {
				inputs[k] = m.eval(at.Expr, in.vars)
			}
			addr := fmt.Sprintf("%smodule.%s", m.addr, b.name)
			if in.key != cty.NilVal {
				addr += instanceSuffix(in.key)
			}
			ck := fmt.Sprintf("%s#%d", b.name, i)
			child := m.children[ck]
			if child == nil || !sameInputs(m.childInputs[ck], inputs) {
				child = &module{dir: dir, addr: addr + ".", key: key, inputs: inputs, res: &Result{}, modulesJSON: m.modulesJSON, depth: m.depth + 1,
					st: m.st, chain: append(append([]string(nil), m.chain...), abs)}
				child.region, child.account = m.providerFor(b.body)
				child.load()
				m.children[ck], m.childInputs[ck] = child, inputs
			}
			outs := map[string]cty.Value{}
			for k, v := range child.outVals {
				outs[k] = v
			}
			objs = append(objs, cty.ObjectVal(outs))
		}
		if len(objs) == 0 {
			// count = 0 or an empty for_each: Terraform creates nothing from the module. Its trails are reported as
			// not created (SKIPPED), not left out silently.
			mods[b.name] = cty.EmptyTupleVal
			ck := b.name + "#none"
			if m.children[ck] == nil {
				child := &module{dir: dir, addr: fmt.Sprintf("%smodule.%s.", m.addr, b.name), key: key, inputs: map[string]cty.Value{}, res: &Result{},
					modulesJSON: m.modulesJSON, depth: m.depth + 1, st: m.st, chain: append(append([]string(nil), m.chain...), abs), notCreated: true}
				child.region, child.account = m.providerFor(b.body)
				child.load()
				m.children[ck] = child
			}
			continue
		}
		mods[b.name] = collect(insts, objs, hasCount(b.body))
	}
	m.vals["module"] = cty.ObjectVal(mods)
}

func instanceSuffix(k cty.Value) string {
	if k.Type() == cty.Number {
		i, _ := k.AsBigFloat().Int64()
		return fmt.Sprintf("[%d]", i)
	}
	return fmt.Sprintf("[%q]", k.AsString())
}

var (
	// Checkov: checkov:skip=ID[,ID...][: reason] (spaces allowed around the ids and the colon).
	checkovRe = regexp.MustCompile(`checkov:skip=\s*([A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)\s*(?::\s*(.*))?`)
	// Trivy and tfsec: trivy:ignore:ID[:exp:YYYY-MM-DD] followed, optionally, by a reason.
	trivyRe      = regexp.MustCompile(`(trivy|tfsec):ignore:([A-Za-z0-9_.-]+)(?::exp:(\d{4}-\d{2}-\d{2}))?(.*)`)
	trailwatchRe = regexp.MustCompile(`trailwatch:ignore\s+([A-Za-z0-9_*-]+)(?:\s+reason="([^"]*)")?(?:\s+expires=(\d{4}-\d{2}-\d{2}))?`)
)

// suppressionsAt reads inline suppressions in the comment lines just above a block and inside it.
func (m *module) suppressionsAt(file string, start, end int) []model.Suppression {
	lines := m.sources[file]
	from := start - 1
	for from-1 >= 0 && from-1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[from-1]), "#") || (from-1 >= 0 && from-1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[from-1]), "//")) {
		from--
	}
	var out []model.Suppression
	for i := from; i < end && i < len(lines); i++ {
		l := lines[i]
		if !strings.Contains(l, "#") && !strings.Contains(l, "//") {
			continue
		}
		if mm := checkovRe.FindStringSubmatch(l); mm != nil {
			for _, id := range strings.Split(mm[1], ",") {
				out = append(out, model.Suppression{Tool: "checkov", Rule: strings.TrimSpace(id), Reason: strings.TrimSpace(mm[2]), Line: i + 1})
			}
		}
		if mm := trivyRe.FindStringSubmatch(l); mm != nil {
			reason := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(mm[4]), "-:#/ "))
			out = append(out, model.Suppression{Tool: mm[1], Rule: mm[2], Expires: mm[3], Reason: reason, Line: i + 1})
		}
		if mm := trailwatchRe.FindStringSubmatch(l); mm != nil {
			out = append(out, model.Suppression{Tool: "trailwatch", Rule: mm[1], Reason: mm[2], Expires: mm[3], Line: i + 1})
		}
	}
	return out
}
