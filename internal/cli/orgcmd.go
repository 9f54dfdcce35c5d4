package cli

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/awsconfig"
	"github.com/trailwatch/trailwatch/internal/org"
)

func newOrgCmd(e *env) *cobra.Command {
	var profile, region, runID string
	st := &storeOptions{}
	cmd := &cobra.Command{Use: "org", Short: "Organization-level steps of a sharded scan"}
	accounts := &cobra.Command{
		Use:   "accounts --run ID --store URL",
		Short: "List the organization's accounts once for a run, so that every shard partitions the same list",
		Long: `List the organization's accounts (ListAccounts, and the OU of each) and save the list under the run in the
history store, as the first step of a sharded scan (a Kubernetes Indexed Job or an AWS Batch array job). Shards
started with scan --org --run ID --shard auto/N then partition this list instead of each listing the organization:
N shards make one listing, and an organization that changes during the run cannot make shards overlap or miss
accounts. Saving is idempotent: a list already saved for the run is kept.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runID == "" || st.dsn == "" {
				return usageError("org accounts needs --run ID and --store URL")
			}
			s, err := st.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			cfg, err := awsconfig.Load(cmd.Context(), awsconfig.Options{Profile: profile, Region: region})
			if err != nil {
				return usageError("load AWS configuration: %v", err)
			}
			found, _, err := org.Discover(cmd.Context(), organizations.NewFromConfig(cfg))
			if err != nil {
				return &exitError{code: ExitIncomplete, err: fmt.Errorf("list the organization's accounts: %w", err)}
			}
			listed, _ := json.Marshal(found.Members)
			kept, err := s.SaveRunAccounts(cmd.Context(), runID, listed)
			if err != nil {
				return &exitError{code: ExitIncomplete, err: err}
			}
			var members []org.Member
			_ = json.Unmarshal(kept, &members)
			fmt.Fprintf(e.stdout, "run %s: %d accounts of organization %s\n", runID, len(members), found.ID)
			return nil
		},
	}
	accounts.Flags().StringVar(&profile, "profile", "", "AWS shared config profile")
	accounts.Flags().StringVar(&region, "region", "", "region for the Organizations calls (default: AWS_REGION or us-east-1)")
	accounts.Flags().StringVar(&runID, "run", "", "the run's id")
	st.bind(accounts, false)
	cmd.AddCommand(accounts)
	return cmd
}
