// Package org discovers an AWS Organization's accounts for an organization-wide scan: the organization, its accounts
// with their state, each account's organizational unit path and tags; and it narrows the set (--accounts,
// --exclude-accounts, --ous, --shard). Read-only.
package org

import (
	"context"
	"fmt"
	"hash/fnv"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
)

// API is the Organizations reads discovery makes.
type API interface {
	DescribeOrganization(context.Context, *organizations.DescribeOrganizationInput, ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
	ListAccounts(context.Context, *organizations.ListAccountsInput, ...func(*organizations.Options)) (*organizations.ListAccountsOutput, error)
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

// Discover lists the organization and its accounts with their OU paths. The OU walk is best effort: when it is
// refused, members come back without OUs and the error is returned beside the result as ouErr.
func Discover(ctx context.Context, api API) (o *Organization, ouErr error, err error) {
	d, err := api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("describe organization: %w", err)
	}
	o = &Organization{ID: aws.ToString(d.Organization.Id), ManagementAccount: aws.ToString(d.Organization.MasterAccountId)}
	// ListAccounts may return an empty page with a token; the paginator keeps going until the token is empty.
	p := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range page.Accounts {
			o.Members = append(o.Members, Member{ID: aws.ToString(a.Id), Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), State: string(a.State)})
		}
	}
	sort.Slice(o.Members, func(i, j int) bool { return o.Members[i].ID < o.Members[j].ID })
	ous, ouErr := walkOUs(ctx, api)
	for i := range o.Members {
		if p, ok := ous[o.Members[i].ID]; ok {
			o.Members[i].OU, o.Members[i].OUIDs = p.path, p.ids
		}
	}
	return o, ouErr, nil
}

type ouPath struct {
	path string
	ids  []string
}

// walkOUs maps each account to its OU path, breadth first from the root.
func walkOUs(ctx context.Context, api API) (map[string]ouPath, error) {
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return nil, fmt.Errorf("list roots: %w", err)
	}
	out := map[string]ouPath{}
	type node struct {
		id string
		p  ouPath
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
				if n.p.path != "" {
					path = n.p.path + "/" + path
				}
				ids := append(append([]string(nil), n.p.ids...), aws.ToString(u.Id))
				queue = append(queue, node{id: aws.ToString(u.Id), p: ouPath{path: path, ids: ids}})
			}
		}
	}
	return out, nil
}

// Tags reads each member's tags with at most concurrency calls at once. Failures leave that account without tags and
// are returned joined in the map's error slot (never fatal).
func Tags(ctx context.Context, api API, ids []string, concurrency int) (map[string]map[string]string, map[string]error) {
	if concurrency < 1 {
		concurrency = 8
	}
	tags := map[string]map[string]string{}
	errs := map[string]error{}
	var mu sync.Mutex
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			m := map[string]string{}
			p := organizations.NewListTagsForResourcePaginator(api, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					mu.Lock()
					errs[id] = err
					mu.Unlock()
					return
				}
				for _, t := range page.Tags {
					m[aws.ToString(t.Key)] = aws.ToString(t.Value)
				}
			}
			mu.Lock()
			tags[id] = m
			mu.Unlock()
		})
	}
	wg.Wait()
	return tags, errs
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
	only := set(f.Accounts)
	exclude := set(f.ExcludeAccounts)
	for _, m := range members {
		switch {
		case len(only) > 0 && !only[m.ID]:
			continue // not asked for: neither scanned nor reported
		case f.ShardCount > 0 && Shard(m.ID, f.ShardCount) != f.ShardIndex:
			continue // another shard's
		case exclude[m.ID]:
			skipped = append(skipped, Skipped{m, "excluded by --exclude-accounts"})
		case len(f.OUs) > 0 && !inOUs(m, f.OUs):
			continue
		case m.State != "" && m.State != "ACTIVE":
			skipped = append(skipped, Skipped{m, "account state " + m.State})
		default:
			scan = append(scan, m)
		}
	}
	return scan, skipped
}

// Shard returns the 1-based shard (of n) an account belongs to: FNV-1a of the id, mod n. Stable across runs and
// machines, and independent of which other accounts exist.
func Shard(id string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32()%uint32(n)) + 1
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
