package awssim

import (
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The conformance check (issue 16): every response the simulator gives during this package's tests (some 240 calls
// through the Go SDK and the AWS CLI, errors included) is walked against the operation's output shape in botocore's
// service models, the AWS CLI's own source of truth: a missing required member, a value of the wrong type or an enum
// value the model does not list fails the package.

type response struct {
	service, op string
	status      int
	body        []byte
}

type recorder struct {
	mu  sync.Mutex
	all []response
}

func (r *recorder) add(service, op string, status int, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, response{service, op, status, append([]byte(nil), body...)})
}

var observed = &recorder{}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && !testingShortOrFiltered() {
		if err := checkConformance(observed.all); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: conformance with botocore's service models:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testingShortOrFiltered: the check needs the whole suite's calls; a run that selects tests (-run), fuzzes or runs
// benchmarks only does not have them, and skips it.
func testingShortOrFiltered() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.run") || strings.HasPrefix(a, "-test.fuzz") || strings.HasPrefix(a, "-test.bench") {
			return true
		}
	}
	return false
}

// botocoreData finds botocore's data directory: the botocore Python package, or the copy the AWS CLI v2 vendors.
func botocoreData() (string, error) {
	script := `import os
try:
    import botocore; print(os.path.join(os.path.dirname(botocore.__file__), "data"))
except ImportError:
    import awscli; print(os.path.join(os.path.dirname(awscli.__file__), "botocore", "data"))`
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		out, err := exec.Command(py, "-c", script).Output()
		if err == nil {
			dir := strings.TrimSpace(string(out))
			if _, err := os.Stat(dir); err == nil {
				return dir, nil
			}
		}
	}
	return "", fmt.Errorf("botocore's service models not found (install the AWS CLI: make test-deps)")
}

type shape struct {
	Type         string              `json:"type"`
	Members      map[string]shapeRef `json:"members"`
	Required     []string            `json:"required"`
	Member       *shapeRef           `json:"member"`
	Value        *shapeRef           `json:"value"`
	Enum         []string            `json:"enum"`
	Flattened    bool                `json:"flattened"`
	Exception    bool                `json:"exception"`
	TimestampFmt string              `json:"timestampFormat"`
}

type shapeRef struct {
	Shape        string `json:"shape"`
	LocationName string `json:"locationName"`
	Location     string `json:"location"`
}

type model struct {
	Metadata struct {
		Protocol string `json:"protocol"`
	} `json:"metadata"`
	Operations map[string]struct {
		Output *struct {
			Shape         string `json:"shape"`
			ResultWrapper string `json:"resultWrapper"`
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]*shape `json:"shapes"`
}

func loadModel(data, service string) (*model, error) {
	dir := filepath.Join(data, service)
	versions, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, v := range versions {
		names = append(names, v.Name())
	}
	sort.Strings(names)
	path := filepath.Join(dir, names[len(names)-1], "service-2.json")
	var r io.Reader
	f, err := os.Open(path)
	if err != nil {
		gz, gerr := os.Open(path + ".gz")
		if gerr != nil {
			return nil, err
		}
		defer gz.Close()
		if r, err = gzip.NewReader(gz); err != nil {
			return nil, err
		}
	} else {
		defer f.Close()
		r = f
	}
	var m model
	return &m, json.NewDecoder(r).Decode(&m)
}

func checkConformance(all []response) error {
	if len(all) < 100 {
		return fmt.Errorf("only %d responses were recorded: the recorder is not wired", len(all))
	}
	data, err := botocoreData()
	if err != nil {
		return err
	}
	models := map[string]*model{}
	var problems []string
	checked := map[string]bool{}
	for _, r := range all {
		if r.status >= 300 || r.op == "" {
			continue // errors: their codes are checked by the tests that provoke them
		}
		m := models[r.service]
		if m == nil {
			if m, err = loadModel(data, r.service); err != nil {
				return fmt.Errorf("model of %s: %w", r.service, err)
			}
			models[r.service] = m
		}
		op, ok := m.Operations[r.op]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s:%s is not an operation of the model", r.service, r.op))
			continue
		}
		checked[r.service+":"+r.op] = true
		if op.Output == nil {
			continue
		}
		var errs []string
		switch m.Metadata.Protocol {
		case "json", "rest-json":
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				errs = append(errs, "not JSON: "+err.Error())
				break
			}
			m.checkJSON(op.Output.Shape, v, "$", &errs)
		case "smithy-rpc-v2-cbor":
			// CloudWatch: the recorded body is CBOR, awsJson1.0 or query XML; decode it to what it stands for and
			// check it the same way.
			if len(r.body) > 0 && r.body[0] == '<' {
				root, err := parseXML(r.body)
				if err != nil {
					errs = append(errs, "not XML: "+err.Error())
					break
				}
				node := root
				if op.Output.ResultWrapper != "" {
					if node = root.child(op.Output.ResultWrapper); node == nil {
						errs = append(errs, "no <"+op.Output.ResultWrapper+">")
						break
					}
				}
				m.checkXML(op.Output.Shape, node, r.op, &errs, false)
				break
			}
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				cv, cerr := cbor.Decode(r.body)
				if cerr != nil {
					errs = append(errs, "neither CBOR nor JSON: "+cerr.Error())
					break
				}
				if v, cerr = cborToJSON(cv); cerr != nil {
					errs = append(errs, cerr.Error())
					break
				}
				v = normalizeCBORNumbers(v)
			}
			m.checkJSON(op.Output.Shape, v, "$", &errs)
		case "rest-xml":
			// S3: the document's root is the output shape (its payload member for GetBucketLocation is the root's
			// text); GetObject's body is the object, not a shape.
			if len(r.body) == 0 || r.op == "GetBucketLocation" {
				break
			}
			root, err := parseXML(r.body)
			if err != nil {
				errs = append(errs, "not XML: "+err.Error())
				break
			}
			m.checkXML(op.Output.Shape, root, r.op, &errs, false)
		case "query", "ec2":
			root, err := parseXML(r.body)
			if err != nil {
				errs = append(errs, "not XML: "+err.Error())
				break
			}
			node := root
			if op.Output.ResultWrapper != "" {
				node = root.child(op.Output.ResultWrapper)
				if node == nil {
					errs = append(errs, "no <"+op.Output.ResultWrapper+">")
					break
				}
			}
			m.checkXML(op.Output.Shape, node, r.op, &errs, m.Metadata.Protocol == "ec2")
		}
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("%s:%s: %s", r.service, r.op, e))
		}
	}
	// Every operation the simulator serves must have been answered at least once.
	for _, svc := range append(slices.Clone(services), s3Service) {
		for op := range svc.ops {
			if !checked[svc.name+":"+op] {
				problems = append(problems, fmt.Sprintf("%s:%s was never answered successfully in this package's tests: add a call", svc.name, op))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(uniq(problems), "\n  "))
	}
	fmt.Fprintf(os.Stderr, "conformance: %d responses of %d operations match botocore's models\n", len(all), len(checked))
	return nil
}

func uniq(l []string) []string {
	var out []string
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func (m *model) checkJSON(name string, v any, path string, errs *[]string) {
	sh := m.Shapes[name]
	if sh == nil || v == nil {
		return
	}
	bad := func(format string, a ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, a...)) }
	switch sh.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want an object, got %T", v)
			return
		}
		for _, req := range sh.Required {
			mem := sh.Members[req]
			if mem.Location != "" && mem.Location != "body" {
				continue // headers, status codes
			}
			key := req
			if mem.LocationName != "" {
				key = mem.LocationName
			}
			if x, ok := obj[key]; !ok || x == nil {
				bad("required member %s is missing", key)
			}
		}
		for name, mem := range sh.Members {
			key := name
			if mem.LocationName != "" {
				key = mem.LocationName
			}
			if x, ok := obj[key]; ok {
				m.checkJSON(mem.Shape, x, path+"."+key, errs)
			}
		}
	case "list":
		arr, ok := v.([]any)
		if !ok {
			bad("want a list, got %T", v)
			return
		}
		for i, e := range arr {
			m.checkJSON(sh.Member.Shape, e, fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			bad("want a map, got %T", v)
			return
		}
		for k, e := range obj {
			m.checkJSON(sh.Value.Shape, e, path+"."+k, errs)
		}
	case "string":
		s, ok := v.(string)
		if !ok {
			bad("want a string, got %T", v)
			return
		}
		if len(sh.Enum) > 0 && !contains(sh.Enum, s) {
			bad("%q is not one of %v", s, sh.Enum)
		}
	case "integer", "long":
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			bad("want an integer, got %v", v)
		}
	case "float", "double":
		if _, ok := v.(float64); !ok {
			bad("want a number, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("want a boolean, got %T", v)
		}
	case "timestamp":
		switch x := v.(type) {
		case float64:
		case string:
			if _, err := time.Parse(time.RFC3339, x); err != nil {
				bad("timestamp %q", x)
			}
		default:
			bad("want a timestamp, got %T", v)
		}
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// node is a parsed XML element.
type node struct {
	name     string
	text     string
	children []*node
}

func (n *node) child(name string) *node {
	for _, c := range n.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

func parseXML(b []byte) (*node, error) {
	d := xml.NewDecoder(strings.NewReader(string(b)))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name.Local}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("empty document")
	}
	return root, nil
}

func (m *model) checkXML(name string, n *node, path string, errs *[]string, ec2 bool) {
	sh := m.Shapes[name]
	if sh == nil || n == nil {
		return
	}
	bad := func(format string, a ...any) { *errs = append(*errs, path+": "+fmt.Sprintf(format, a...)) }
	elem := func(memberName string, mem shapeRef) string {
		switch {
		case mem.LocationName != "":
			return mem.LocationName
		case ec2:
			return strings.ToLower(memberName[:1]) + memberName[1:]
		}
		return memberName
	}
	switch sh.Type {
	case "structure":
		for _, req := range sh.Required {
			if n.child(elem(req, sh.Members[req])) == nil {
				bad("required member %s is missing", elem(req, sh.Members[req]))
			}
		}
		for mn, mem := range sh.Members {
			if ls := m.Shapes[mem.Shape]; ls != nil && ls.Type == "list" && ls.Flattened && ls.Member != nil {
				// A flattened list (S3's Contents): each element is a repeated member element, not wrapped.
				i := 0
				for _, c := range n.children {
					if c.name == elem(mn, mem) {
						m.checkXML(ls.Member.Shape, c, fmt.Sprintf("%s.%s[%d]", path, elem(mn, mem), i), errs, ec2)
						i++
					}
				}
				continue
			}
			if c := n.child(elem(mn, mem)); c != nil {
				m.checkXML(mem.Shape, c, path+"."+elem(mn, mem), errs, ec2)
			}
		}
	case "list":
		item := "member"
		if sh.Member != nil && sh.Member.LocationName != "" {
			item = sh.Member.LocationName
		} else if ec2 {
			item = "item"
		}
		for i, c := range n.children {
			if c.name != item {
				bad("list element <%s>, want <%s>", c.name, item)
				continue
			}
			m.checkXML(sh.Member.Shape, c, fmt.Sprintf("%s[%d]", path, i), errs, ec2)
		}
	case "string":
		if len(sh.Enum) > 0 && !contains(sh.Enum, strings.TrimSpace(n.text)) {
			bad("%q is not one of %v", n.text, sh.Enum)
		}
	case "integer", "long":
		if _, err := strconv.ParseInt(strings.TrimSpace(n.text), 10, 64); err != nil {
			bad("want an integer, got %q", n.text)
		}
	case "boolean":
		if t := strings.TrimSpace(n.text); t != "true" && t != "false" {
			bad("want true or false, got %q", n.text)
		}
	case "timestamp":
		if _, err := time.Parse(time.RFC3339, strings.TrimSpace(n.text)); err != nil {
			bad("timestamp %q", n.text)
		}
	}
}

// TestConformanceCheckerCatches: the checker itself finds what it should (a missing required member, a wrong type,
// an unknown enum value), so that a silent pass of the whole suite means something.
func TestConformanceCheckerCatches(t *testing.T) {
	data, err := botocoreData()
	if err != nil {
		t.Fatal(err)
	}
	m, err := loadModel(data, "cloudtrail")
	if err != nil {
		t.Fatal(err)
	}
	var errs []string
	m.checkJSON("GetTrailStatusResponse", map[string]any{"IsLogging": "yes"}, "$", &errs)
	m.checkJSON("DescribeTrailsResponse", map[string]any{"trailList": []any{map[string]any{"Name": 3}}}, "$", &errs)
	cfg, err := loadModel(data, "config")
	if err != nil {
		t.Fatal(err)
	}
	cfg.checkJSON("DescribeOrganizationConformancePacksResponse", map[string]any{"OrganizationConformancePacks": []any{map[string]any{"OrganizationConformancePackName": "p", "OrganizationConformancePackArn": "a"}}}, "$", &errs)
	joined := strings.Join(errs, "\n")
	for _, want := range []string{"$.IsLogging: want a boolean", "$.trailList[0].Name: want a string", "required member LastUpdateTime is missing"} {
		if !strings.Contains(joined, want) {
			t.Errorf("the checker missed %q; it said:\n%s", want, joined)
		}
	}
}

// normalizeCBORNumbers gives checkJSON the float64 numbers encoding/json would have produced.
func normalizeCBORNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeCBORNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalizeCBORNumbers(x)
		}
	case uint64:
		return float64(t)
	case int64:
		return float64(t)
	}
	return v
}
