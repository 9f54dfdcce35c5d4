package awssim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/trailwatch/trailwatch/internal/partition"
)

// partitionOf returns the region table of a partition (internal/partition).
func partitionOf(name string) (partition.Partition, bool) { return partition.Lookup(name) }

// DefaultRegions returns the regions enabled by default in a partition.
func DefaultRegions(partitionName string) []string {
	p, _ := partition.Lookup(partitionName)
	return append([]string(nil), p.Defaults...)
}

// validRetention lists the retention values PutRetentionPolicy accepts (logs/2014-03-28 service-2.json).
var validRetention = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true,
	150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true,
	2922: true, 3288: true, 3653: true}

func retentionList() string {
	var ks []int
	for k := range validRetention {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var s []string
	for _, k := range ks {
		s = append(s, strconv.Itoa(k))
	}
	return strings.Join(s, ", ")
}

func mustPartition(name string) partition.Partition {
	p, _ := partition.Lookup(name)
	return p
}
