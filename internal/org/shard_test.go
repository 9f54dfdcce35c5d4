package org

import (
	"fmt"
	"testing"
)

// TestShardBalance: every shard gets a fair part of the accounts, whatever the ids look like. FNV-1a alone keeps its
// low bits as a parity of the bytes' low bits, so with 2 or 4 shards every repeated-digit id (the example
// organization's 111111111111 ... 666666666666) fell into shard 2, and shard 1 scanned nothing.
func TestShardBalance(t *testing.T) {
	sets := map[string][]string{}
	for d := 1; d <= 9; d++ {
		id := ""
		for range 12 {
			id += fmt.Sprint(d)
		}
		sets["repeated digits"] = append(sets["repeated digits"], id)
	}
	for i := range 1000 {
		sets["sequential"] = append(sets["sequential"], fmt.Sprintf("%012d", 100000000000+i))
		sets["stepped by 16"] = append(sets["stepped by 16"], fmt.Sprintf("%012d", 123400000000+16*i))
	}
	for name, ids := range sets {
		for _, n := range []int{2, 3, 4, 8} {
			counts := make([]int, n+1)
			for _, id := range ids {
				s := Shard(id, n)
				if s < 1 || s > n {
					t.Fatalf("Shard(%s, %d) = %d", id, n, s)
				}
				counts[s]++
			}
			fair := len(ids) / n
			for s := 1; s <= n; s++ {
				// 1,000 ids: every shard within half of a fair share either way. 9 ids: no shard holds them all (a
				// fair hash leaves one of 3 shards empty now and then: 7.5% of the time for random ids).
				if len(ids) >= 100 && (counts[s] < fair/2 || counts[s] > fair*3/2) || len(ids) < 100 && counts[s] == len(ids) {
					t.Errorf("%s, %d shards: %v", name, n, counts[1:])
					break
				}
			}
		}
	}
	if Shard("111111111111", 2) == Shard("222222222222", 2) && Shard("222222222222", 2) == Shard("333333333333", 2) &&
		Shard("333333333333", 2) == Shard("444444444444", 2) {
		t.Error("the example organization's accounts all fall in one of 2 shards")
	}
}
