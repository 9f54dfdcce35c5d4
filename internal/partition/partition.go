// Package partition knows the AWS partitions and their regions: which are enabled by default and which are opt-in.
// Source: https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-regions.html (regions launched before
// 2019-03-20 are enabled by default; later ones are opt-in); the region list is botocore's endpoints.json (34
// commercial regions, ap-east-2 Taipei and ap-southeast-6 New Zealand the newest).
package partition

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trailwatch/trailwatch/internal/suggest"
)

// Partition is one AWS partition.
type Partition struct {
	Name     string
	Defaults []string // enabled by default
	OptIn    []string // disabled until the account opts in
	DNS      string
	// GlobalRegion is where CloudTrail records the events of global services such as IAM, and so where LookupEvents
	// finds them (CTUG cloudtrail-concepts, "Global service events": US East (N. Virginia) in the aws partition;
	// us-gov-west-1 and cn-north-1 in the others).
	GlobalRegion string
}

// Known reports whether region belongs to the partition.
func (p Partition) Known(region string) bool {
	return p.contains(p.Defaults, region) || p.contains(p.OptIn, region)
}

// IsOptIn reports whether region must be enabled by the account.
func (p Partition) IsOptIn(region string) bool { return p.contains(p.OptIn, region) }

// All lists every region of the partition, sorted.
func (p Partition) All() []string {
	out := append(append([]string(nil), p.Defaults...), p.OptIn...)
	sort.Strings(out)
	return out
}

func (p Partition) contains(l []string, r string) bool {
	for _, v := range l {
		if v == r {
			return true
		}
	}
	return false
}

// Names lists the partitions trailwatch knows.
var Names = []string{"aws", "aws-us-gov", "aws-cn"}

// AllRegions lists every region of every known partition, sorted.
func AllRegions() []string {
	var out []string
	for _, n := range Names {
		p, _ := Lookup(n)
		out = append(out, p.All()...)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the partition named name.
func Lookup(name string) (Partition, bool) {
	switch name {
	case "aws":
		return Partition{
			Name: "aws",
			Defaults: []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1",
				"ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1",
				"eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "sa-east-1"},
			OptIn: []string{"af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
				"ap-southeast-7", "ap-east-2", "ap-southeast-6", "ca-west-1", "eu-south-1", "eu-south-2", "eu-central-2", "il-central-1", "me-south-1",
				"me-central-1", "mx-central-1"},
			DNS:          "amazonaws.com",
			GlobalRegion: "us-east-1",
		}, true
	case "aws-us-gov":
		return Partition{Name: "aws-us-gov", Defaults: []string{"us-gov-west-1", "us-gov-east-1"}, DNS: "amazonaws.com", GlobalRegion: "us-gov-west-1"}, true
	case "aws-cn":
		return Partition{Name: "aws-cn", Defaults: []string{"cn-north-1", "cn-northwest-1"}, DNS: "amazonaws.com.cn", GlobalRegion: "cn-north-1"}, true
	}
	return Partition{}, false
}

// OfRegion returns the partition a region belongs to, defaulting to aws.
func OfRegion(region string) Partition {
	for _, n := range []string{"aws", "aws-us-gov", "aws-cn"} {
		p, _ := Lookup(n)
		if p.Known(region) {
			return p
		}
	}
	p, _ := Lookup("aws")
	return p
}

// CheckRegion says what is wrong with a region name given for flag: not a region of any partition trailwatch knows,
// with the nearest known name. One check for every command that takes a region.
func CheckRegion(flag, region string) error {
	all := AllRegions()
	if slices.Contains(all, region) {
		return nil
	}
	return fmt.Errorf("%s %q: not an AWS region%s", flag, region, suggest.DidYouMean(region, all))
}

// CheckPartition says what is wrong with a partition name given for flag.
func CheckPartition(flag, name string) error {
	if _, ok := Lookup(name); ok {
		return nil
	}
	return fmt.Errorf("%s %q: want one of %s%s", flag, name, strings.Join(Names, ", "), suggest.DidYouMean(name, Names))
}
