package controls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

const (
	arn   = "arn:aws:cloudtrail:us-east-1:111111111111:trail/t"
	group = "arn:aws:logs:us-east-1:111111111111:log-group:G:*"
	role  = "arn:aws:iam::111111111111:role/R"
	trust = `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	write = `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:G:*"}]}`
)

// healthy returns a trail whose pipeline is whole and delivered 5 minutes ago; cases change one thing.
func healthy() *model.Trail {
	return &model.Trail{
		ARN: arn, Name: "t", HomeRegion: "us-east-1", OwnerAccount: "111111111111", LogGroupARN: group, RoleARN: role,
		Status:           &model.TrailStatus{IsLogging: ptr(true), LatestDelivery: ptr(now.Add(-5 * time.Minute)), StartLoggingTime: ptr(now.Add(-48 * time.Hour))},
		ManagementEvents: ptr(true),
		LogGroup:         &model.LogGroup{ARN: group, Name: "G", Region: "us-east-1", Account: "111111111111", Exists: true, RetentionDays: ptr(365)},
		Role:             &model.Role{ARN: role, Name: "R", Exists: true, Trust: trust, Policies: []model.PolicyDoc{{Name: "p", Document: write}}},
	}
}

func judge(t *testing.T, tr *model.Trail) model.Finding {
	t.Helper()
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	inv := &model.Inventory{Partition: "aws", Accounts: []*model.Account{{ID: "111111111111", OrgID: "o-a1b2c3d4e5", Regions: []string{"us-east-1"}, Trails: []*model.Trail{tr}}}}
	for _, f := range Evaluate(cat, inv, DefaultSettings(now)) {
		if f.ControlID == IntegrationID {
			return f
		}
	}
	t.Fatal("no integration finding")
	return model.Finding{}
}

func reasonCodes(f model.Finding) string {
	var c []string
	for _, r := range f.Reasons {
		c = append(c, r.Code)
	}
	return strings.Join(c, ",")
}

func TestIntegrationDecisionTable(t *testing.T) {
	tests := []struct {
		name   string
		change func(*model.Trail)
		status model.Status
		codes  string
		note   string
	}{
		{"healthy", func(*model.Trail) {}, model.StatusPass, "DELIVERING", ""},
		{"pending first delivery", func(t *model.Trail) {
			t.Status.LatestDelivery, t.Status.StartLoggingTime = nil, ptr(now.Add(-10*time.Minute))
		}, model.StatusPending, "PENDING_FIRST_DELIVERY", ""},
		{"pending window over", func(t *model.Trail) {
			t.Status.LatestDelivery, t.Status.StartLoggingTime = nil, ptr(now.Add(-31*time.Minute))
		}, model.StatusFail, "NEVER_DELIVERED", ""},
		{"never delivered with a broken role is not pending", func(t *model.Trail) {
			t.Status.LatestDelivery, t.Status.StartLoggingTime = nil, ptr(now.Add(-time.Minute))
			t.Role.Exists = false
		}, model.StatusFail, "ROLE_MISSING,NEVER_DELIVERED", ""},
		{"status unreadable", func(t *model.Trail) {
			t.Status, t.StatusErr = nil, &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "AccessDeniedException", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
		{"status throttled", func(t *model.Trail) {
			t.Status, t.StatusErr = nil, &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "ThrottlingException", Kind: model.ErrThrottled}
		}, model.StatusError, "THROTTLED", ""},
		{"not integrated outranks an unreadable status", func(t *model.Trail) {
			t.LogGroupARN, t.Status = "", nil
			t.StatusErr = &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "InternalFailure", Kind: model.ErrOther}
		}, model.StatusFail, "NOT_INTEGRATED,COLLECTION_ERROR", ""},
		{"log group unreadable", func(t *model.Trail) {
			t.LogGroup, t.LogGroupErr = nil, &model.CallError{API: "logs:DescribeLogGroups", Code: "AccessDeniedException", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
		{"role unreadable", func(t *model.Trail) {
			t.Role, t.RoleErr = nil, &model.CallError{API: "iam:GetRole", Code: "AccessDenied", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
		{"invalid log group ARN", func(t *model.Trail) { t.LogGroupARN, t.LogGroup = "arn:aws:s3:::bucket", nil }, model.StatusFail, "LOG_GROUP_MISSING", ""},
		{"no role ARN", func(t *model.Trail) { t.RoleARN, t.Role = "", nil }, model.StatusFail, "ROLE_MISSING", ""},
		{"conditional trust", func(t *model.Trail) {
			t.Role.Trust = `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111111111111"}}}]}`
		}, model.StatusPass, "DELIVERING", "conditions, which were not evaluated"},
		{"explicit deny on writes", func(t *model.Trail) {
			t.Role.Policies = append(t.Role.Policies, model.PolicyDoc{Document: `{"Statement":[{"Effect":"Deny","Action":"logs:PutLogEvents","Resource":"*"}]}`})
		}, model.StatusFail, "ROLE_CANNOT_WRITE", ""},
		{"organization trail without o- stream permission", func(t *model.Trail) {
			t.Organization = true
			t.Role.Policies = []model.PolicyDoc{{Document: `{"Statement":[{"Effect":"Allow","Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:111111111111:log-group:G:log-stream:111111111111_CloudTrail_*"}]}`}}
		}, model.StatusFail, "ROLE_CANNOT_WRITE", ""},
		{"missing IsLogging and times is unknown, not a failure of logging", func(t *model.Trail) {
			t.Status.IsLogging = nil
		}, model.StatusPass, "DELIVERING", ""},
		{"member view of organization trail", func(t *model.Trail) {
			t.OwnedElsewhere, t.Organization, t.LogGroup, t.Role = true, true, nil, nil
			t.Status.ErrorFieldsNotVisible = true
		}, model.StatusPass, "DELIVERING", "not visible from a member account"},
		{"member view, not integrated", func(t *model.Trail) {
			t.OwnedElsewhere, t.Organization, t.LogGroupARN, t.LogGroup, t.Role = true, true, "", nil, nil
		}, model.StatusFail, "NOT_INTEGRATED", "owned by account 111111111111"},
		{"member refused", func(t *model.Trail) {
			t.OwnedElsewhere, t.Organization, t.Status, t.LogGroup, t.Role = true, true, nil, nil, nil
			t.StatusErr = &model.CallError{API: "cloudtrail:GetTrailStatus", Code: "CloudTrailARNInvalidException", Kind: model.ErrAccessDenied}
		}, model.StatusSkipped, "OWNED_ELSEWHERE", ""},
		// Issue 23: "management events assumed" turned a data-events-only trail from FAIL to PASS. Whether the trail
		// logs management events is unknown: an ERROR on what the failed read touched, never a PASS.
		{"selectors unreadable: an ERROR, not management events assumed", func(t *model.Trail) {
			t.ManagementEvents, t.SelectorsErr = nil, &model.CallError{API: "cloudtrail:GetEventSelectors", Code: "AccessDeniedException", Kind: model.ErrAccessDenied}
		}, model.StatusError, "ACCESS_DENIED", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := healthy()
			tc.change(tr)
			f := judge(t, tr)
			if f.Status != tc.status || reasonCodes(f) != tc.codes {
				t.Errorf("%s [%s], want %s [%s]: %+v", f.Status, reasonCodes(f), tc.status, tc.codes, f.Reasons)
			}
			if tc.note != "" && !strings.Contains(strings.Join(f.Notes, " "), tc.note) {
				t.Errorf("notes %v lack %q", f.Notes, tc.note)
			}
		})
	}
}

func TestCatalogComplete(t *testing.T) {
	cat, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{IntegrationID, RetentionID, CaptureID} {
		c, ok := cat.Control(id)
		if !ok || c.Title == "" || c.Severity != "Medium" || c.Rationale == "" || c.Remediation == "" {
			t.Errorf("control %s incomplete: %+v", id, c)
		}
	}
	// Every reason code the code can emit, found in the source itself (not a hand-written list), is documented in the
	// catalog, for at least one control, and in docs/controls.md.
	docs, err := os.ReadFile("../../docs/controls.md")
	if err != nil {
		t.Fatal(err)
	}
	emitted := emittedCodes(t, ".", "../exceptions", "../prove")
	if len(emitted) < 20 {
		t.Fatalf("only %d reason codes found in the source: the scan is broken: %v", len(emitted), emitted)
	}
	for _, code := range emitted {
		r, ok := cat.Reason(code)
		if !ok || r.Meaning == "" || r.Fix == "" || len(r.Controls) == 0 {
			t.Errorf("reason %s is emitted but not documented in catalog.yaml (meaning, fix, controls)", code)
		}
		if !strings.Contains(string(docs), "`"+code+"`") {
			t.Errorf("reason %s is emitted but not documented in docs/controls.md", code)
		}
	}
	for _, r := range cat.Reasons {
		if !slices.Contains(emitted, r.Code) {
			t.Errorf("catalog documents %s, which no code emits", r.Code)
		}
		for _, id := range r.Controls {
			if _, ok := cat.Control(id); !ok {
				t.Errorf("reason %s names unknown control %s", r.Code, id)
			}
		}
	}
}

// emittedCodes parses the Go sources of dirs and returns the reason codes they can emit: the code argument of
// verdict.add calls and the Code of model.Reason literals, string constants resolved.
func emittedCodes(t *testing.T, dirs ...string) []string {
	t.Helper()
	fset := token.NewFileSet()
	consts := map[string]string{}
	var files []*ast.File
	for _, dir := range dirs {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			ast.Inspect(f, func(n ast.Node) bool {
				if vs, ok := n.(*ast.ValueSpec); ok {
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[name.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
				return true
			})
		}
	}
	codeRe := regexp.MustCompile(`^[A-Z][A-Z_]{3,}$`)
	found := map[string]bool{}
	value := func(e ast.Expr) {
		switch v := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(v.Value); err == nil && codeRe.MatchString(s) {
				found[s] = true
			}
		case *ast.Ident:
			if s, ok := consts[v.Name]; ok && codeRe.MatchString(s) {
				found[s] = true
			}
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "add" && len(x.Args) >= 2 {
					value(x.Args[1])
				}
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "add" && len(x.Args) >= 2 {
					value(x.Args[1]) // a local add(status, code, ...)
				}
			case *ast.KeyValueExpr:
				if k, ok := x.Key.(*ast.Ident); ok && (k.Name == "Code" || k.Name == "code") {
					value(x.Value)
				}
			case *ast.AssignStmt: // code := CollectionError; code = AccessDenied; then v.add(st, code, ...)
				for i, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok && id.Name == "code" && i < len(x.Rhs) {
						value(x.Rhs[i])
					}
				}
			}
			return true
		})
	}
	var out []string
	for c := range found {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

func TestNextRetention(t *testing.T) {
	for min, want := range map[int]int{1: 1, 2: 3, 365: 365, 366: 400, 5000: 3653} {
		if got := NextRetention(min); got != want {
			t.Errorf("NextRetention(%d) = %d, want %d", min, got, want)
		}
	}
}

// TestNoNegativeAges: a delivery stamped after the scan's clock (a simulator clock advanced past the host's, or skew)
// is never printed as a negative age (issue 10 §6).
func TestNoNegativeAges(t *testing.T) {
	cat, _ := Load()
	later := now.Add(90 * time.Minute)
	yes := true
	inv := &model.Inventory{Accounts: []*model.Account{{ID: "111111111111", Regions: []string{"us-east-1"}, Trails: []*model.Trail{{
		ARN: arn, Name: "t", HomeRegion: "us-east-1", OwnerAccount: "111111111111", LogGroupARN: group, RoleARN: role, ManagementEvents: &yes,
		Status:   &model.TrailStatus{IsLogging: &yes, LatestDelivery: &later},
		LogGroup: &model.LogGroup{ARN: group, Name: "G", Region: "us-east-1", Account: "111111111111", Exists: true},
		Role:     &model.Role{ARN: role, Name: "R", Exists: true, Trust: trust, Policies: []model.PolicyDoc{{Name: "p", Document: write}}},
	}}}}}
	for _, f := range Evaluate(cat, inv, DefaultSettings(now)) {
		for _, r := range f.Reasons {
			if strings.Contains(r.Message, " -") || strings.Contains(r.Message, "(-") {
				t.Errorf("%s: %s", f.ControlID, r.Message)
			}
		}
		if f.ControlID == IntegrationID && (f.Status != model.StatusPass || !strings.Contains(f.Reasons[0].Message, "clocks disagree")) {
			t.Errorf("integration: %s %+v", f.Status, f.Reasons)
		}
	}
}
