package main

import (
	"bytes"
	"strings"
	"testing"
)

const stream = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"run","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Test":"TestB","Output":"    b_test.go:9: the AWS CLI (aws) is not on the PATH\n"}
{"Action":"output","Package":"p","Test":"TestB","Output":"--- SKIP: TestB (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestB"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p"}
`

func TestSummary(t *testing.T) {
	var out bytes.Buffer
	if code := run(strings.NewReader(stream), &out, false); code != 0 {
		t.Errorf("exit %d\n%s", code, out.String())
	}
	for _, want := range []string{"ok  \tp\t0.01s", "p TestB: b_test.go:9: the AWS CLI (aws) is not on the PATH", "1 passed, 0 failed, 1 skipped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := run(strings.NewReader(stream), &out, true); code != 1 || !strings.Contains(out.String(), "TRAILWATCH_NO_SKIPS") {
		t.Errorf("a skip under TRAILWATCH_NO_SKIPS=1: exit %d\n%s", code, out.String())
	}
	out.Reset()
	failing := strings.Replace(stream, `"Action":"pass","Package":"p","Test":"TestA"`, `"Action":"fail","Package":"p","Test":"TestA"`, 1)
	if code := run(strings.NewReader(failing), &out, false); code != 1 || !strings.Contains(out.String(), "0 passed, 1 failed, 1 skipped") {
		t.Errorf("a failure: exit %d\n%s", code, out.String())
	}
}
