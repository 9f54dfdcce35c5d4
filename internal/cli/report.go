package cli

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/report"
)

func newReportCmd(e *env) *cobra.Command {
	o := &outputOptions{}
	var from string
	cmd := &cobra.Command{
		Use:   "report --from scan.json --format FORMAT",
		Short: "Convert a saved JSON report to another format (" + strings.Join(report.Formats, ", ") + ")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.validate(); err != nil {
				return err
			}
			if from == "" {
				return usageError("--from FILE is required: a report written with --format json")
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
			return o.write(e, r)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "a JSON report")
	o.bind(cmd)
	// Converting a report is not judging it: exit 0 unless asked.
	_ = cmd.Flags().Set("fail-on", "none")
	cmd.Flags().Lookup("fail-on").DefValue = "none"
	return cmd
}
