package guardrails

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/trailwatch/trailwatch/internal/controls"
)

// Deploying the guardrails changes AWS like a fix does, so it is journaled and undone like one (issue 22: these writes
// lived in the command layer, outside the journal): every write call goes to a Recorder (the fix journal), and an SCP
// attachment that fails part-way puts back what was there before, newest first: the targets this run attached are
// detached again, and the policy is deleted (this run created it) or given its previous content back (this run
// changed it).

// Recorder journals one write call: its action, parameters and outcome ("ok", "undone" for an undo call, or the
// error). A nil Recorder journals nothing.
type Recorder func(action string, params map[string]any, result string, err error)

func (r Recorder) record(action string, params map[string]any, result string, err error) {
	if r != nil {
		r(action, params, result, err)
	}
}

// ConfigAPI is what deploying the conformance pack calls.
type ConfigAPI interface {
	PutConformancePack(context.Context, *configservice.PutConformancePackInput, ...func(*configservice.Options)) (*configservice.PutConformancePackOutput, error)
	PutOrganizationConformancePack(context.Context, *configservice.PutOrganizationConformancePackInput, ...func(*configservice.Options)) (*configservice.PutOrganizationConformancePackOutput, error)
}

// DeployPack puts the conformance pack: in this account alone (PutConformancePack) or the organization
// (PutOrganizationConformancePack), and returns its ARN.
func DeployPack(ctx context.Context, c ConfigAPI, name, tpl string, account bool, rec Recorder) (string, error) {
	params := map[string]any{"ConformancePackName": name, "TemplateBodyBytes": len(tpl)}
	if account {
		out, err := c.PutConformancePack(ctx, &configservice.PutConformancePackInput{ConformancePackName: aws.String(name), TemplateBody: aws.String(tpl)})
		rec.record("PutConformancePack", params, "ok", err)
		if err != nil {
			return "", fmt.Errorf("PutConformancePack: %w", err)
		}
		return aws.ToString(out.ConformancePackArn), nil
	}
	params = map[string]any{"OrganizationConformancePackName": name, "TemplateBodyBytes": len(tpl)}
	out, err := c.PutOrganizationConformancePack(ctx, &configservice.PutOrganizationConformancePackInput{OrganizationConformancePackName: aws.String(name), TemplateBody: aws.String(tpl)})
	rec.record("PutOrganizationConformancePack", params, "ok", err)
	if err != nil {
		return "", fmt.Errorf("PutOrganizationConformancePack: %w", err)
	}
	return aws.ToString(out.OrganizationConformancePackArn), nil
}

// OrganizationsAPI is what attaching the SCP calls.
type OrganizationsAPI interface {
	ListPolicies(context.Context, *organizations.ListPoliciesInput, ...func(*organizations.Options)) (*organizations.ListPoliciesOutput, error)
	DescribePolicy(context.Context, *organizations.DescribePolicyInput, ...func(*organizations.Options)) (*organizations.DescribePolicyOutput, error)
	CreatePolicy(context.Context, *organizations.CreatePolicyInput, ...func(*organizations.Options)) (*organizations.CreatePolicyOutput, error)
	UpdatePolicy(context.Context, *organizations.UpdatePolicyInput, ...func(*organizations.Options)) (*organizations.UpdatePolicyOutput, error)
	DeletePolicy(context.Context, *organizations.DeletePolicyInput, ...func(*organizations.Options)) (*organizations.DeletePolicyOutput, error)
	ListTargetsForPolicy(context.Context, *organizations.ListTargetsForPolicyInput, ...func(*organizations.Options)) (*organizations.ListTargetsForPolicyOutput, error)
	AttachPolicy(context.Context, *organizations.AttachPolicyInput, ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error)
	DetachPolicy(context.Context, *organizations.DetachPolicyInput, ...func(*organizations.Options)) (*organizations.DetachPolicyOutput, error)
}

// SCPResult says what AttachSCP did.
type SCPResult struct {
	ID string
	// How is "created", "updated" (its content changed), "reused" (its content was already this).
	How               string
	Attached, Already []string
	// Undone are the undo calls made after a failure, NotUndone those that failed (each with its error).
	Undone, NotUndone []string
}

// AttachSCP creates the policy, or reuses the one named name (updating its content only when it differs, after
// reading it to put it back), and attaches it to each target it is not attached to yet. When a call fails, what this
// run changed is undone, newest first (see above), and the error says what was undone and what could not be.
func AttachSCP(ctx context.Context, c OrganizationsAPI, name, doc string, targets []string, rec Recorder) (SCPResult, error) {
	res := SCPResult{How: "reused"}
	var existing *orgtypes.PolicySummary
	p := organizations.NewListPoliciesPaginator(c, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for p.HasMorePages() && existing == nil {
		page, err := p.NextPage(ctx)
		if err != nil {
			return res, fmt.Errorf("ListPolicies: %w", err)
		}
		for i := range page.Policies {
			if aws.ToString(page.Policies[i].Name) == name {
				existing = &page.Policies[i]
				break
			}
		}
	}
	var undo []func(context.Context) error // newest last
	fail := func(err error) (SCPResult, error) {
		// On a context of its own: an interrupted run (Ctrl-C) still puts back what it changed.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		for i := len(undo) - 1; i >= 0; i-- {
			if uerr := undo[i](uctx); uerr != nil {
				res.NotUndone = append(res.NotUndone, uerr.Error())
			}
		}
		switch {
		case len(res.NotUndone) > 0:
			return res, fmt.Errorf("%w; undone: %v; NOT undone: %v", err, res.Undone, res.NotUndone)
		case len(res.Undone) > 0:
			return res, fmt.Errorf("%w; undone: %v", err, res.Undone)
		}
		return res, err
	}
	if existing == nil {
		params := map[string]any{"Name": name, "Type": "SERVICE_CONTROL_POLICY"}
		out, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Content: aws.String(doc),
			Description: aws.String("Written by trailwatch: protects the CloudTrail to CloudWatch Logs integration"), Type: orgtypes.PolicyTypeServiceControlPolicy})
		rec.record("CreatePolicy", params, "ok", err)
		if err != nil {
			return res, fmt.Errorf("CreatePolicy: %w", err)
		}
		res.ID, res.How = aws.ToString(out.Policy.PolicySummary.Id), "created"
		id := res.ID
		undo = append(undo, func(ctx context.Context) error {
			_, err := c.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
			rec.record("DeletePolicy", map[string]any{"PolicyId": id}, "undone", err)
			if err != nil {
				return fmt.Errorf("DeletePolicy %s: %w; by hand: aws organizations delete-policy --policy-id %s", id, err, id)
			}
			res.Undone = append(res.Undone, "DeletePolicy "+id+" (the policy just created)")
			return nil
		})
	} else {
		res.ID = aws.ToString(existing.Id)
		cur, err := c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: existing.Id})
		if err != nil {
			return res, fmt.Errorf("DescribePolicy %s: %w", res.ID, err)
		}
		if prev := aws.ToString(cur.Policy.Content); prev != doc {
			// The content it replaces is journaled: the way back even if the undo cannot run (review).
			_, err := c.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: existing.Id, Content: aws.String(doc)})
			rec.record("UpdatePolicy", map[string]any{"PolicyId": res.ID, "PreviousContent": prev}, "ok", err)
			if err != nil {
				return res, fmt.Errorf("UpdatePolicy %s: %w", res.ID, err)
			}
			res.How = "updated"
			id := res.ID
			undo = append(undo, func(ctx context.Context) error {
				_, err := c.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Content: aws.String(prev)})
				rec.record("UpdatePolicy", map[string]any{"PolicyId": id, "Content": prev}, "undone", err)
				if err != nil {
					return fmt.Errorf("UpdatePolicy %s back to its previous content: %w; by hand: aws organizations update-policy --policy-id %s --content %s", id, err, id, controls.ShellQuote(prev))
				}
				res.Undone = append(res.Undone, "UpdatePolicy "+id+" (its previous content)")
				return nil
			})
		}
	}
	attached := map[string]bool{}
	if res.How != "created" {
		tp := organizations.NewListTargetsForPolicyPaginator(c, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String(res.ID)})
		for tp.HasMorePages() {
			page, err := tp.NextPage(ctx)
			if err != nil {
				return fail(fmt.Errorf("ListTargetsForPolicy %s: %w", res.ID, err))
			}
			for _, t := range page.Targets {
				attached[aws.ToString(t.TargetId)] = true
			}
		}
	}
	for _, t := range targets {
		if attached[t] {
			res.Already = append(res.Already, t)
			continue
		}
		params := map[string]any{"PolicyId": res.ID, "TargetId": t}
		_, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(res.ID), TargetId: aws.String(t)})
		rec.record("AttachPolicy", params, "ok", err)
		if err != nil {
			return fail(fmt.Errorf("AttachPolicy %s to %s: %w", res.ID, t, err))
		}
		res.Attached = append(res.Attached, t)
		id, target := res.ID, t
		undo = append(undo, func(ctx context.Context) error {
			_, err := c.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(target)})
			rec.record("DetachPolicy", map[string]any{"PolicyId": id, "TargetId": target}, "undone", err)
			if err != nil {
				return fmt.Errorf("DetachPolicy %s from %s: %w; by hand: aws organizations detach-policy --policy-id %s --target-id %s", id, target, err, id, target)
			}
			res.Undone = append(res.Undone, "DetachPolicy "+id+" from "+target)
			return nil
		})
	}
	return res, nil
}
