package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/filterpattern"
)

func newAlarmsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "alarms", Short: "Judge a CIS monitoring metric filter pattern (CIS 4.1-4.15); scan --alarms judges the whole chain"}
	var items []string
	version := alarms.Versions[len(alarms.Versions)-1]
	test := &cobra.Command{
		Use:   "test PATTERN|-",
		Short: "Say which CIS monitoring items a metric filter pattern covers, and what it misses or excludes",
		Long: `Judge a CloudWatch Logs metric filter pattern against the CIS monitoring items (4.1-4.15) by meaning: clause
order, quoting, spacing and extra || branches do not matter. For each item the pattern is about (or each --item),
prints MONITORED, FILTER_MISSES_EVENTS with the events it misses, or FILTER_NARROWED with the conditions that
exclude events the published pattern catches. "-" reads the pattern from standard input.
Exit 0: every item judged is monitored (narrowed ones are warnings); 1: an item misses events, or the pattern is
about no item; 3: the pattern does not parse (the error names the position).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pattern := args[0]
			if pattern == "-" {
				b, err := io.ReadAll(io.LimitReader(e.stdin, filterpattern.MaxLength+1))
				if err != nil {
					return usageError("read the pattern: %v", err)
				}
				pattern = strings.TrimSpace(string(b))
			}
			for _, id := range items {
				if !knownAlarm(id) {
					return usageError("--item %q: not a CIS monitoring item (trailwatch controls shows the ids; 4.1-4.15 work too)", id)
				}
			}
			if _, err := alarms.ForVersion(version); err != nil {
				return usageError("--cis-version %s: want one of %s", version, strings.Join(alarms.Versions, ", "))
			}
			verdicts, err := alarms.TestVersion(pattern, version, items...)
			var se *filterpattern.SyntaxError
			if errors.As(err, &se) {
				return usageError("%v", err)
			}
			if err != nil {
				return err
			}
			failed := len(verdicts) == 0
			if failed {
				fmt.Fprintln(e.stdout, "The pattern is about none of the CIS monitoring items 4.1-4.15 (give --item to judge it against one).")
			}
			for _, v := range verdicts {
				fmt.Fprintf(e.stdout, "%-5s %-42s %s\n", v.Item.CIS, v.Item.ID, v.Code)
				for _, m := range v.Coverage.Misses {
					fmt.Fprintf(e.stdout, "      misses: %s\n", m)
				}
				for _, n := range v.Coverage.Narrowed {
					fmt.Fprintf(e.stdout, "      excludes events by: %s\n", n)
				}
				if v.Code == "FILTER_MISSES_EVENTS" {
					failed = true
				}
			}
			if failed {
				return &exitError{code: ExitFailed, err: errors.New("the pattern does not cover what the CIS items require")}
			}
			return nil
		},
	}
	test.Flags().StringVar(&version, "cis-version", version, "the CIS version whose published patterns are required (as scan --alarms): "+strings.Join(alarms.Versions, ", "))
	test.Flags().StringSliceVar(&items, "item", nil, "judge against these items (ids such as alarm-root-account-usage, or CIS numbers such as 4.3), even if the pattern is not about them")
	cmd.AddCommand(test)
	return cmd
}

func knownAlarm(id string) bool {
	for _, it := range alarms.Items {
		if it.ID == id || it.CIS == id {
			return true
		}
	}
	return false
}
