// Package org discovers an AWS Organization's accounts for an organization-wide scan: the organization, its accounts
// with their state, each account's organizational unit path and tags; and it narrows the set (--accounts,
// --exclude-accounts, --ous, --shard). Read-only.
package org

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// API is the Organizations reads discovery makes.
type API interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
	DescribeAccount(context.Context, *organizations.DescribeAccountInput, ...func(*organizations.Options)) (*organizations.DescribeAccountOutput, error)
	ListRoots(context.Context, *organizations.ListRootsInput, ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListOrganizationalUnitsForParent(context.Context, *organizations.ListOrganizationalUnitsForParentInput, ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
	ListAccountsForParent(context.Context, *organizations.ListAccountsForParentInput, ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListTagsForResource(context.Context, *organizations.ListTagsForResourceInput, ...func(*organizations.Options)) (*organizations.ListTagsForResourceOutput, error)
}

// Organization is what discovery found.
type Organization struct {
	ID                string
	ManagementAccount string
	Members           []Member // every account, in account id order
}

// Member is one account of the organization.
type Member struct {
	ID, Name, Email, State string
	// OU is the path of OU names under the root ("Workloads/Prod"; "" for the root); OUIDs the ids along it.
	OU    string
	OUIDs []string
}

// Describe reads the organization's id and management account.
func Describe(ctx context.Context, api API) (*Organization, error) {
	d, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, fmt.Errorf("describe organization: %w", err)
	}
	return &Organization{ID: aws.ToString(d.Organization.Id), ManagementAccount: aws.ToString(d.Organization.MasterAccountId)}, nil
}

// ListAccounts pages through the organization's accounts and hands each one to fn as its page arrives, so that
// scanning can start before the listing ends. ListAccounts may return an empty page with a token; the paginator
// keeps going until the token is empty.
func ListAccounts(ctx context.Context, api API, fn func(Member)) error {
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page.Accounts {
			fn(Member{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), State: string(a.State)})
		}
	}
	return nil
}

// DescribeAccounts reads the named accounts one by one (DescribeAccount) instead of listing the organization: a scan
// of a few accounts of a large organization does not page through all of them. An id the organization does not
// have is returned in unknown (AccountNotFoundException); any other failure is an error.
func DescribeAccounts(ctx context.Context, api API, ids []string, fn func(Member)) (unknown []string, err error) {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue // named twice: read and scanned once (field trial)
		}
		seen[id] = true
		out, err := api.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(id)})
		var nf *orgtypes.AccountNotFoundException
		switch {
		case errors.As(err, &nf):
			unknown = append(unknown, id)
			continue
		case err != nil:
			return unknown, fmt.Errorf("describe account %s: %w", id, err)
		}
		a := out.Account
		fn(Member{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), State: string(a.State)})
	}
	return unknown, nil
}

// Discover lists the organization and all its accounts with their OU paths, sorted by id. The OU walk is best
// effort: when it is refused, members come back without OUs and the error is returned beside the result as ouErr.
func Discover(ctx context.Context, api API) (o *Organization, ouErr error, err error) {
	if o, err = Describe(ctx, api); err != nil {
		return nil, nil, err
	}
	// The OU walk and the account listing are both chains of sequential pages: they run side by side.
	var ous map[string]OUPath
	walkCtx, stopWalk := context.WithCancel(ctx)
	defer stopWalk()
	walked := make(chan struct{})
	go func() {
		defer close(walked)
		ous, ouErr = OUs(walkCtx, api)
	}()
	err = ListAccounts(ctx, api, func(m Member) { o.Members = append(o.Members, m) })
	if err != nil {
		stopWalk() // the listing failed: the walk's result is not needed, do not wait out its pages
	}
	<-walked
	if err != nil {
		return nil, nil, err
	}
	sort.Slice(o.Members, func(i, j int) bool { return o.Members[i].ID < o.Members[j].ID })
	for i := range o.Members {
		o.Members[i].Place(ous)
	}
	return o, ouErr, nil
}

// Place sets the member's OU path and ids from an OUs map.
func (m *Member) Place(ous map[string]OUPath) {
	if p, ok := ous[m.ID]; ok {
		m.OU, m.OUIDs = p.Path, p.IDs
	}
}

// OUPath is an account's place in the OU tree: the path of names and the ids along it.
type OUPath struct {
	Path string
	IDs  []string
}

// OUs maps each account to its OU path, breadth first from the root.
func OUs(ctx context.Context, api API) (map[string]OUPath, error) {
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return nil, fmt.Errorf("list roots: %w", err)
	}
	out := map[string]OUPath{}
	type node struct {
		id string
		p  OUPath
	}
	var queue []node
	for _, r := range roots.Roots {
		queue = append(queue, node{id: aws.ToString(r.Id)})
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		ap := organizations.NewListAccountsForParentPaginator(api, &organizations.ListAccountsForParentInput{ParentId: aws.String(n.id)})
		for ap.HasMorePages() {
			page, err := ap.NextPage(ctx)
			if err != nil {
				return out, fmt.Errorf("list accounts of %s: %w", n.id, err)
			}
			for _, a := range page.Accounts {
				out[aws.ToString(a.Id)] = n.p
			}
		}
		op := organizations.NewListOrganizationalUnitsForParentPaginator(api, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(n.id)})
		for op.HasMorePages() {
			page, err := op.NextPage(ctx)
			if err != nil {
				return out, fmt.Errorf("list OUs of %s: %w", n.id, err)
			}
			for _, u := range page.OrganizationalUnits {
				path := aws.ToString(u.Name)
				if n.p.Path != "" {
					path = n.p.Path + "/" + path
				}
				ids := append(append([]string(nil), n.p.IDs...), aws.ToString(u.Id))
				queue = append(queue, node{id: aws.ToString(u.Id), p: OUPath{Path: path, IDs: ids}})
			}
		}
	}
	return out, nil
}

// AccountTags reads one account's tags (ListTagsForResource, paginated).
func AccountTags(ctx context.Context, api API, id string) (map[string]string, error) {
	m := map[string]string{}
	p := organizations.NewListTagsForResourcePaginator(api, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of account %s: %w", id, err)
		}
		for _, t := range page.Tags {
			m[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return m, nil
}

// Filter narrows the members to scan.
type Filter struct {
	Accounts        []string // only these ids (empty: all)
	ExcludeAccounts []string
	// OUs match an OU id anywhere on the account's path, or an OU path prefix ("Workloads" matches "Workloads/Prod").
	OUs []string
	// Shard i of n (1-based): a deterministic slice by a hash of the account id; n = 0 means no sharding.
	ShardIndex, ShardCount int
}

// Skipped is a member left out, with the reason.
type Skipped struct {
	Member Member
	Reason string
}

// Select applies the filter and drops accounts that are not ACTIVE.
func Select(members []Member, f Filter) (scan []Member, skipped []Skipped) {
	for _, m := range members {
		switch ok, reason := f.Decide(m); {
		case ok:
			scan = append(scan, m)
		case reason != "":
			skipped = append(skipped, Skipped{m, reason})
		}
	}
	return scan, skipped
}

// Decide says whether to scan a member; when not, a non-empty reason means the member is reported as skipped (an
// empty one: it is simply outside the selection: --accounts, --ous, another shard).
func (f Filter) Decide(m Member) (scan bool, reason string) {
	switch {
	case len(f.Accounts) > 0 && !set(f.Accounts)[m.ID]:
		return false, ""
	case f.ShardCount > 0 && Shard(m.ID, f.ShardCount) != f.ShardIndex:
		return false, ""
	case set(f.ExcludeAccounts)[m.ID]:
		return false, "excluded by --exclude-accounts"
	case len(f.OUs) > 0 && !inOUs(m, f.OUs):
		return false, ""
	case m.State != "" && m.State != "ACTIVE":
		return false, "account state " + m.State
	}
	return true, ""
}

// Shard returns the 1-based shard (of n) an account belongs to: FNV-1a of the id, mixed, mod n. Stable across runs
// and machines (every shard of a run must run the same trailwatch version), and independent of which other accounts
// exist. FNV-1a alone leaves its low bits a parity of the bytes' low bits (ids of repeated digits all fell in one of
// 2 or 4 shards), so the hash goes through MurmurHash3's 32-bit finalizer, whose every output bit depends on every
// input bit, before the modulus.
func Shard(id string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	x := h.Sum32()
	x ^= x >> 16
	x *= 0x85ebca6b
	x ^= x >> 13
	x *= 0xc2b2ae35
	x ^= x >> 16
	return int(x%uint32(n)) + 1
}

func inOUs(m Member, ous []string) bool {
	for _, want := range ous {
		for _, id := range m.OUIDs {
			if id == want {
				return true
			}
		}
		if m.OU == want || strings.HasPrefix(m.OU, want+"/") {
			return true
		}
	}
	return false
}

func set(l []string) map[string]bool {
	m := map[string]bool{}
	for _, v := range l {
		m[strings.TrimSpace(v)] = true
	}
	return m
}
