package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/iampolicy"
	"github.com/trailwatch/trailwatch/internal/partition"
)

func newIAMPolicyCmd(e *env) *cobra.Command {
	var o iampolicy.Options
	cmd := &cobra.Command{
		Use:   "iam-policy read|fix|watch|prove",
		Short: "Print the least-privilege IAM policy a mode needs",
		Long: `Print the IAM policy (JSON) that trailwatch needs for a mode: read (scan and scan --org, the alarm chain
included), fix (read plus the calls of fix apply and their undo, and iam:PassRole to CloudTrail for the delivery role),
watch (read plus the SQS queue, the SNS, Security Hub and AWS Config sinks), prove (read plus the proof's markers,
ec2:CreatePlacementGroup sent only as a dry run and ec2:DescribeSecurityGroups, and logs:FilterLogEvents and
logs:TestMetricFilter). A test records every call each mode makes
against the simulator and checks that this policy allows it. With --member-role, the policy also allows assuming that
role in member accounts (--org); attach the mode's policy (read, fix or prove: prove --org makes its markers through
that role) to that role in each member.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(iampolicy.Modes, args[0]) {
				return usageError("mode %q: want one of %s", args[0], strings.Join(iampolicy.Modes, ", "))
			}
			if err := partition.CheckPartition("--partition", o.Partition); err != nil {
				return usageError("%v", err)
			}
			doc, err := iampolicy.Document(args[0], o)
			if err != nil {
				return err
			}
			fmt.Fprint(e.stdout, doc)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.MemberRole, "member-role", "", "also allow sts:AssumeRole of this role in member accounts (--org), for example OrganizationAccountAccessRole")
	cmd.Flags().StringVar(&o.Partition, "partition", "aws", "aws, aws-us-gov or aws-cn")
	cmd.Flags().BoolVar(&o.ImportFindings, "import-findings", false, "also allow securityhub:BatchImportFindings of the account's own findings: the member role a watcher with --security-hub assumes (deploy's member template grants it)")
	cmd.Flags().StringVar(&o.DeliveryRolePrefix, "delivery-role-prefix", "", "fix: allow passing only roles whose names start so (default any role a trail may name)")
	return cmd
}
