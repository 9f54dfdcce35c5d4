package awssim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestGenerateRoundTrip(t *testing.T) {
	sc := Generate(GenOptions{Accounts: 40, Seed: 9, Latency: 30 * time.Millisecond, RateLimits: true})
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	data, err := sc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseScenario("generated.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	strip := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Line" }, cmp.Ignore())
	if diff := cmp.Diff(sc, back, strip, cmp.AllowUnexported(Scenario{}), cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".file" }, cmp.Ignore())); diff != "" {
		t.Errorf("round trip (-generated +parsed):\n%s", diff)
	}
	local, broken := 0, 0
	for _, a := range sc.Accounts[1:] {
		for _, tr := range a.Trails {
			local++
			if tr.LogGroup == "" || tr.Role == "Untrusted" || tr.Logging != nil || tr.Delivery != nil {
				broken++
			}
		}
	}
	if local < 40 || broken == 0 || broken > local/2 {
		t.Errorf("%d local trails, %d broken", local, broken)
	}
}
