package cli

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/remediate"
	"github.com/trailwatch/trailwatch/internal/report"
)

func newReportCmd(e *env) *cobra.Command {
	o := &outputOptions{}
	var from, plan string
	cmd := &cobra.Command{
		Use: "report --from scan.json --format FORMAT",
		Long: "Convert a saved JSON report to another format (" + strings.Join(report.Formats, ", ") + `).

With --plan, a fix plan written with fix plan --cost --format json joins its estimates: the table, JSON and HTML
reports then show what capture costs today (scan --cost) and what the fix would add a month.`,
		Short: "Convert a saved JSON report to another format (" + strings.Join(report.Formats, ", ") + ")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if from == "" {
				return usageError("--from FILE is required: a report written with --format json")
			}
			if f := o.format; plan != "" && f != "table" && f != "json" && f != "html" {
				return usageError("--plan's costs are shown with --format table, json or html, not %s", f)
			}
			f, err := os.Open(from)
			if err != nil {
				return usageError("--from: %v", err)
			}
			defer f.Close()
			r, err := report.ReadJSON(f)
			if err != nil {
				return usageError("--from %s: %v", from, err)
			}
			// The summary is derived from the findings: recompute it, so that an edited file cannot show counts its
			// findings do not bear out.
			if s := report.Summarize(r.Findings); !reflect.DeepEqual(s, r.Summary) {
				fmt.Fprintf(e.stderr, "trailwatch: --from %s: its summary (%d findings) disagrees with its findings (%d); the summary was recomputed\n", from, r.Summary.Total, s.Total)
				r.Summary = s
			}
			if plan != "" {
				data, err := os.ReadFile(plan)
				if err != nil {
					return usageError("--plan: %v", err)
				}
				p, err := remediate.ReadPlan(data)
				if err != nil {
					return usageError("--plan %s: %v", plan, err)
				}
				if p.PriceSource == "" {
					return usageError("--plan %s has no cost estimates: write it with fix plan --cost --format json -o %s", plan, plan)
				}
				at := p.GeneratedAt.UTC()
				r.FixCosts, r.FixPriceSource, r.FixPlannedAt = p.Costs, p.PriceSource, &at
			}
			return o.write(e, r)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "a JSON report")
	cmd.Flags().StringVar(&plan, "plan", "", "a fix plan written with fix plan --cost --format json: its cost estimates join the report (table, json, html)")
	o.bind(cmd)
	// Converting a report is not judging it: exit 0 unless asked.
	_ = cmd.Flags().Set("fail-on", "none")
	cmd.Flags().Lookup("fail-on").DefValue = "none"
	return cmd
}
