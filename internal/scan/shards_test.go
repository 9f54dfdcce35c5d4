package scan

import (
	"strings"
	"testing"
	"time"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
)

// TestMergeShards: the merge of a sharded scan's reports (moved out of the command, issue 22) says which shards of the
// split are missing, cannot tell with a report that is no shard, and refuses shards of different splits, a scope that
// is not i/n, a report without its inventory and shards judged with other settings.
func TestMergeShards(t *testing.T) {
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	rep := func(shard, age string, inv bool) *report.Report {
		r := &report.Report{GeneratedAt: at, Settings: report.Settings{MaxDeliveryAge: age, MinRetentionDays: 365}}
		r.Scope.Shard = shard
		if inv {
			r.Inventory = &model.Inventory{}
		}
		return r
	}
	sh := func(name, shard string) Shard { return Shard{Name: name, Report: rep(shard, "24h", true)} }
	r, err := MergeShards([]Shard{sh("a.json", "1/3"), sh("c.json", "3/3")}, "", "test")
	if err != nil || r.Complete || len(r.Incomplete) != 1 || r.Incomplete[0] != "shard 2 of 3 is missing: its accounts were not scanned" {
		t.Errorf("one missing: %v %+v", err, r)
	}
	r, err = MergeShards([]Shard{{Name: "shard 1 of run R", Report: rep("", "24h", true), Index: 1, Count: 4}}, "R", "test")
	if err != nil || len(r.Incomplete) != 1 || r.Incomplete[0] != "run R: shards 2, 3, 4 of 4 are missing: their accounts were not scanned" {
		t.Errorf("run: %v %+v", err, r)
	}
	if r, err := MergeShards([]Shard{sh("a.json", "1/2"), sh("all.json", "")}, "", "test"); err != nil || len(r.Incomplete) != 0 {
		t.Errorf("with a report that is no shard: %v %+v", err, r)
	}
	for _, c := range []struct {
		shards []Shard
		want   string
	}{
		{[]Shard{sh("a.json", "1/2"), sh("b.json", "2/3")}, "b.json is shard 2/3 and a.json is shard 1/2: they come from different splits"},
		{[]Shard{sh("a.json", "auto/3")}, `a.json: shard "auto/3": want i/n`},
		{[]Shard{sh("a.json", "4/3")}, `a.json: shard "4/3": want i/n`},
		{[]Shard{{Name: "a.json", Report: rep("1/2", "24h", false)}}, "a.json has no inventory"},
		{[]Shard{sh("a.json", "1/2"), {Name: "b.json", Report: rep("2/2", "48h", true)}}, "b.json was judged with other settings"},
	} {
		if _, err := MergeShards(c.shards, "", "test"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.want, err, c.want)
		}
	}
}
