package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/alarms"
	"github.com/trailwatch/trailwatch/internal/filterpattern"
)

func newAlarmsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "alarms", Short: "Judge a CIS monitoring metric filter pattern (CIS 4.1-4.15); scan --alarms judges the whole chain"}
	var items []string
	version := alarms.DefaultVersion
	test := &cobra.Command{
		Use:   "test PATTERN|-",
		Short: "Say which CIS monitoring items a metric filter pattern covers, and what it misses or excludes",
		Long: `Judge a CloudWatch Logs metric filter pattern against the CIS monitoring items (4.1-4.15) by meaning: clause
order, quoting, spacing and extra || branches do not matter. For each item the pattern is about (or each --item),
prints MONITORED, FILTER_MISSES_EVENTS with the cases it misses, FILTER_NARROWED with an event the published
pattern catches and it rejects (found exactly, and checked), or, for an --item it is not about, FILTER_MISSING. A
pattern about no item is judged against the item it comes closest to. The same rule judges scan --alarms and
iac --alarms. "-" reads the pattern from standard input.
Exit 0: every item judged is monitored (narrowed ones are warnings); 1: an item misses events, an --item the pattern
is not about, or a pattern about no item; 2: the pattern parses but its coverage cannot be decided (wildcard
selectors $.* and [*], or too many combinations); 3: the pattern does not parse (the error names the position).`,
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
			inVersion, err := alarms.ForVersion(version)
			if err != nil {
				return usageError("--cis-version %s: want one of %s", version, strings.Join(alarms.Versions, ", "))
			}
			for _, id := range items {
				if msg := itemNotIn(id, version, inVersion); msg != "" {
					return usageError("--item %q: %s", id, msg)
				}
			}
			verdicts, err := alarms.TestVersion(pattern, version, items...)
			var se *filterpattern.SyntaxError
			if errors.As(err, &se) {
				return usageError("%v", err)
			}
			if err != nil {
				// The pattern parses but its coverage is not decided (wildcard selectors, too many combinations): an
				// ERROR, never a verdict, and not a usage error (field trial: it exited 3, "does not parse").
				return &exitError{code: ExitIncomplete, err: fmt.Errorf("the pattern parses, but trailwatch cannot judge it: %w", err)}
			}
			failed := len(verdicts) == 0
			if failed {
				fmt.Fprintln(e.stdout, "The pattern is about none of the CIS monitoring items 4.1-4.15 (give --item to judge it against one).")
			}
			for _, v := range verdicts {
				fmt.Fprintf(e.stdout, "%-5s %-42s %s\n", v.Item.CIS, v.Item.ID, v.Code)
				if v.Code == alarms.FilterMissing {
					fmt.Fprintf(e.stdout, "      the pattern is not about this item: it catches or names fewer than half of its cases (%s)\n", v.Item.Pattern)
				}
				for _, m := range v.Coverage.Misses {
					if v.Code != alarms.FilterMissing {
						fmt.Fprintf(e.stdout, "      misses: %s\n", m)
					}
				}
				for _, n := range v.Coverage.Narrowed {
					if v.Code != alarms.FilterMissing {
						fmt.Fprintf(e.stdout, "      rejects events such as one with: %s\n", n)
					}
				}
				for _, n := range v.Notes {
					fmt.Fprintf(e.stdout, "      note: %s\n", n)
				}
				if v.Code == alarms.FilterMissesEvents || v.Code == alarms.FilterMissing {
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
	cmd.AddCommand(test, newAlarmsMatchCmd(e))
	return cmd
}

// maxEventInput bounds what alarms match reads from all its inputs together.
const maxEventInput = 64 << 20

func newAlarmsMatchCmd(e *env) *cobra.Command {
	expect := "match"
	cmd := &cobra.Command{
		Use:   "match PATTERN [FILE ...|-]",
		Short: "Run a metric filter pattern on log events offline, as AWS's TestMetricFilter does",
		Long: `Run a CloudWatch Logs JSON filter pattern on events and say which match and, for those that do not, which
comparisons fail and what values the event has: AWS's TestMetricFilter, offline and exact, so a filter can be tested
in CI before it is deployed. Each FILE (or standard input, "-" or no FILE) holds a JSON event, an array of events, a
CloudTrail log file ({"Records": [...]}) or one JSON event per line.
Exit 0: every event matched (--expect no-match: none did); 1: otherwise; 3: the pattern or an input does not parse.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if expect != "match" && expect != "no-match" {
				return usageError("--expect %q: want match or no-match", expect)
			}
			n, err := filterpattern.Parse(args[0])
			if err != nil {
				return usageError("%v", err)
			}
			files := args[1:]
			if len(files) == 0 {
				files = []string{"-"}
			}
			type input struct {
				name   string
				events []filterpattern.Event
			}
			var inputs []input
			var read int64
			for _, f := range files { // read everything first: a bad input is reported before any verdict
				r, name := e.stdin, "stdin"
				if f != "-" {
					fh, err := os.Open(f)
					if err != nil {
						return usageError("%v", err)
					}
					defer fh.Close()
					r, name = fh, f
				}
				// One budget for all the inputs, not one per file (field trial: six 57 MB files took 2 GB).
				cr := &countingReader{r: r}
				evs, err := filterpattern.ReadEvents(cr, maxEventInput-read)
				if err != nil {
					return usageError("%s: %v (at most %d MiB of events in all)", name, err, maxEventInput>>20)
				}
				read += cr.n
				inputs = append(inputs, input{name, evs})
			}
			for _, in := range inputs {
				if len(in.events) == 0 {
					// An empty or truncated capture must not pass a CI check by having nothing to match (field trial).
					return usageError("%s: no events", in.name)
				}
			}
			total, matched := 0, 0
			for _, in := range inputs {
				for _, ev := range in.events {
					total++
					why := filterpattern.Explain(n, ev.Value)
					if why == nil {
						matched++
						fmt.Fprintf(e.stdout, "MATCH     %s#%d\n", in.name, ev.N)
						continue
					}
					fmt.Fprintf(e.stdout, "NO MATCH  %s#%d\n", in.name, ev.N)
					for _, w := range why {
						fmt.Fprintf(e.stdout, "          %s\n", w)
					}
				}
			}
			fmt.Fprintf(e.stdout, "%d of %d events match.\n", matched, total)
			if (expect == "match" && matched != total) || (expect == "no-match" && matched != 0) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("expected every event to %s", strings.ReplaceAll(expect, "-", " "))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&expect, "expect", expect, "what every event must do for exit 0: match or no-match")
	return cmd
}

// itemNotIn says why an item (an id or a CIS number) is not one of a version's, or "".
func itemNotIn(id, version string, items []alarms.Item) string {
	var nums []string
	for _, it := range items {
		if it.ID == id || it.CIS == id {
			return ""
		}
		nums = append(nums, it.CIS)
	}
	for _, it := range alarms.Items {
		if it.ID == id || it.CIS == id {
			for _, v := range items {
				if v.ID == it.ID {
					return fmt.Sprintf("CIS v%s numbers %s %s as %s", version, it.CIS, it.Title, v.CIS)
				}
			}
			return fmt.Sprintf("CIS v%s has no %s item (%s); its monitoring items are %s-%s", version, it.Title, it.CIS, nums[0], nums[len(nums)-1])
		}
	}
	return fmt.Sprintf("not a CIS monitoring item of v%s (trailwatch controls shows the ids; its numbers are %s-%s)", version, nums[0], nums[len(nums)-1])
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
