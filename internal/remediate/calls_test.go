package remediate

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// sample fills every field of a call's parameters with a value of its type (strings and numbers that tell fields
// apart), so that a round trip that loses or mistypes any member shows.
func sample(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		n++
		switch v.Kind() {
		case reflect.String:
			v.SetString("v" + strings.Repeat("x", n))
		case reflect.Int:
			v.SetInt(int64(n))
		case reflect.Float64:
			v.SetFloat(float64(n) + 0.5)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Slice:
			s := reflect.MakeSlice(v.Type(), 2, 2)
			fill(s.Index(0))
			fill(s.Index(1))
			v.Set(s)
		case reflect.Map:
			m := reflect.MakeMap(v.Type())
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k)
			if e.Kind() == reflect.Interface {
				e.Set(reflect.ValueOf("nested"))
			} else {
				fill(e)
			}
			m.SetMapIndex(k, e)
			v.Set(m)
		case reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		}
	}
	fill(v)
	return v
}

// TestPlanFileKeepsEveryCallTyped: a plan written to a file and read back gives every step and undo the parameters it
// had, of its action's type (issue 21: parameters were an untyped map, a list []string before a plan file and []any
// after it, a number int before and float64 after, and every reader had to guess). Each registered action is tried
// with every member set.
func TestPlanFileKeepsEveryCallTyped(t *testing.T) {
	if len(calls) != len(cliSpecs) {
		t.Errorf("%d parameter types, %d AWS CLI renderings: every action needs both", len(calls), len(cliSpecs))
	}
	for action, typ := range calls {
		p := sample(typ).Interface().(Params)
		if p.Action() != action {
			t.Errorf("%s's parameters say they are for %s", action, p.Action())
		}
		in := newStep("111111111111", "us-east-1", "arn:aws:cloudtrail:us-east-1:111111111111:trail/t", "why", p)
		in.Undo = call(p)
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out Step
		if err := json.Unmarshal(b, &out); err != nil {
			t.Errorf("%s: %v", action, err)
			continue
		}
		if !reflect.DeepEqual(out, in) {
			t.Errorf("%s: read back\n %#v\nwrote\n %#v", action, out, in)
		}
	}
}

// TestPlanFileRefusesStrayParameters: a plan file whose step names a parameter its action does not take, or gives
// one of the wrong type, is refused when read, saying which action (an edited plan's extra member was carried into
// the printed command and silently dropped from the call).
func TestPlanFileRefusesStrayParameters(t *testing.T) {
	step := func(params string) string {
		return `{"schema_version":1,"steps":[{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1",` +
			`"resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":` + params + `}]}`
	}
	for _, params := range []string{`{"logGroupName":"g","retentionInDays":400,"kmsKeyId":"k"}`, `{"logGroupName":"g","retentionInDays":"400"}`} {
		_, err := ReadPlan([]byte(step(params)))
		if err == nil || !strings.Contains(err.Error(), "PutRetentionPolicy") {
			t.Errorf("params %s: %v, want a refusal naming PutRetentionPolicy", params, err)
		}
	}
	// Field trial: keys this trailwatch does not write were accepted at the plan's root and on a step, and a member in
	// another letter case set the parameter (Go's decoder matches keys case-insensitively). Errors name the step, from 1.
	two := func(second string) string {
		return `{"schema_version":1,"steps":[{"action":"StartLogging","account_id":"222222222222","region":"us-east-1",` +
			`"resource_id":"arn:aws:cloudtrail:us-east-1:222222222222:trail/t","params":{"Name":"arn:aws:cloudtrail:us-east-1:222222222222:trail/t"}},` + second + `]}`
	}
	for name, tc := range map[string]struct{ plan, want string }{
		"a key at the root":             {strings.Replace(step(`{"logGroupName":"g","retentionInDays":400}`), `{"schema_version":1,`, `{"schema_version":1,"bogus":1,`, 1), `unknown key "bogus"`},
		"a key on a step":               {two(`{"action":"StartLogging","bogusTop":1}`), `step 2: unknown key "bogusTop"`},
		"a member's letter case":        {two(`{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1","resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g","RETENTIONINDAYS":365}}`), `step 2: the parameters of PutRetentionPolicy: unknown key "RETENTIONINDAYS"`},
		"a nested member's letter case": {two(`{"action":"PutMetricFilter","account_id":"222222222222","region":"us-east-1","resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"filterName":"f","filterPattern":"p","logGroupName":"g","metricTransformations":[{"metricName":"m","metricNamespace":"n","METRICVALUE":"1"}]}}`), `step 2: the parameters of PutMetricFilter: unknown key "METRICVALUE"`},
		"a key on an undo":              {two(`{"action":"StartLogging","account_id":"222222222222","region":"us-east-1","resource_id":"arn:aws:cloudtrail:us-east-1:222222222222:trail/t","params":{"Name":"x"},"undo":{"action":"StopLogging","params":{"Name":"x"},"why":"w"}}`), `step 2: undo: unknown key "why"`},
		"a mistyped member, named":      {two(`{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1","resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g","retentionInDays":"365"}}`), `step 2: the parameters of PutRetentionPolicy`},
	} {
		if _, err := ReadPlan([]byte(tc.plan)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	p, err := ReadPlan([]byte(step(`{"logGroupName":"g","retentionInDays":400}`)))
	if err != nil {
		t.Fatal(err)
	}
	// What a reviewer reads is part of the plan: a step whose printed command was rewritten is not the plan.
	edited := *p
	edited.Steps = []Step{p.Steps[0]}
	edited.Steps[0].CLI = "aws logs delete-log-group --log-group-name g"
	if err := SamePlan(&edited, p); err == nil || !strings.Contains(err.Error(), "its cli differs") {
		t.Errorf("a rewritten cli: %v", err)
	}
	if got, want := p.Steps[0].Params, (PutRetentionPolicyInput{LogGroupName: "g", RetentionInDays: 400}); got != want {
		t.Errorf("read %#v, want %#v", got, want)
	}
}

// TestReviewed: a reviewed plan file is checked before the scan that re-plans it (a file that does not read, or keeps
// a retention below the minimum, never costs a scan), then accepted only if it is the plan written now; a plan that
// differs is a PlanChangedError, the scan's own failure comes back as it is.
func TestReviewed(t *testing.T) {
	const file = `{"schema_version":1,"steps":[{"action":"PutRetentionPolicy","account_id":"222222222222","region":"us-east-1",` +
		`"resource_id":"arn:aws:logs:us-east-1:222222222222:log-group:g","params":{"logGroupName":"g","retentionInDays":400}}]}`
	now, err := ReadPlan([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	scans := 0
	fresh := func(p *Plan, err error) func() (*Plan, error) {
		return func() (*Plan, error) { scans++; return p, err }
	}
	if _, err := Reviewed([]byte(`{"schema_version":1,"steps":[{"bogus":1}]}`), 365, fresh(now, nil)); err == nil || scans != 0 {
		t.Errorf("a file that does not read: %v, %d scans", err, scans)
	}
	if _, err := Reviewed([]byte(file), 500, fresh(now, nil)); err == nil || scans != 0 {
		t.Errorf("a retention under the minimum: %v, %d scans", err, scans)
	}
	if p, err := Reviewed([]byte(file), 365, fresh(now, nil)); err != nil || len(p.Steps) != 1 || scans != 1 {
		t.Errorf("the plan written now: %v, %d scans", err, scans)
	}
	other := *now
	other.Steps = []Step{now.Steps[0]}
	other.Steps[0].Params = PutRetentionPolicyInput{LogGroupName: "g", RetentionInDays: 731}
	var changed *PlanChangedError
	if _, err := Reviewed([]byte(file), 365, fresh(&other, nil)); !errors.As(err, &changed) {
		t.Errorf("a plan that differs: %v", err)
	}
	boom := errors.New("scan failed")
	if _, err := Reviewed([]byte(file), 365, fresh(nil, boom)); err != boom {
		t.Errorf("the scan's failure: %v", err)
	}
}
