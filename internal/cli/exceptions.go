package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/controls"
	"github.com/trailwatch/trailwatch/internal/exceptions"
	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/report"
)

// DefaultExceptionsFile is read when present and --exceptions is not given.
const DefaultExceptionsFile = ".trailwatch/exceptions.yaml"

// exceptionOptions are the flags that name the exceptions file.
type exceptionOptions struct {
	file    string
	maxDays int
}

func (o *exceptionOptions) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.file, "exceptions", "", "exceptions file (default "+DefaultExceptionsFile+" when present)")
	cmd.Flags().IntVar(&o.maxDays, "max-exception-days", 365, "refuse exceptions that expire further ahead than this")
}

// load reads the exceptions file, or returns nil when there is none.
func (o *exceptionOptions) load(now time.Time) (*exceptions.Set, error) {
	path := o.file
	if path == "" {
		if _, err := os.Stat(DefaultExceptionsFile); err != nil {
			return nil, nil
		}
		path = DefaultExceptionsFile
	}
	s, err := exceptions.Load(path, now, o.maxDays)
	if err != nil {
		return nil, usageError("%v", err)
	}
	cat, err := controls.Load()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, c := range cat.Controls {
		ids = append(ids, c.ID)
	}
	if err := s.CheckControls(ids); err != nil {
		return nil, usageError("%v", err)
	}
	return s, nil
}

func accountInfos(inv *model.Inventory) map[string]exceptions.AccountInfo {
	m := map[string]exceptions.AccountInfo{}
	if inv == nil {
		return m
	}
	for _, a := range inv.Accounts {
		m[a.ID] = exceptions.AccountInfo{Tags: a.Tags, OU: a.OU, TagsUnknown: a.TagsErr != nil, OUUnknown: a.OUUnknown, Alternates: a.Alternates, Regions: a.Regions}
	}
	return m
}

// apply mutes covered findings and adds the exceptions' own hygiene findings.
func (o *exceptionOptions) apply(inv *model.Inventory, fs []model.Finding, now time.Time) ([]model.Finding, error) {
	s, err := o.load(now)
	if err != nil || s == nil {
		return fs, err
	}
	fs = s.Apply(fs, accountInfos(inv), now)
	return append(fs, s.Hygiene(now, true)...), nil
}

func newExceptionsCmd(e *env) *cobra.Command {
	o := &exceptionOptions{}
	var from string
	cmd := &cobra.Command{Use: "exceptions", Short: "List and check the exceptions file (owner, reason, expiry)"}
	list := &cobra.Command{
		Use:   "list",
		Short: "Show each exception with its state: active, expiring (within 30 days), expired, unused or lapsed (with --from)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, states, err := exceptionStates(o, from)
			if err != nil {
				return err
			}
			for i, x := range s.Exceptions {
				fmt.Fprintf(e.stdout, "%-9s %s  %s until %s  owner %s  %q%s\n", states[i], x.Ref(), x.Control, x.Expires, x.Owner, x.Reason, ticket(x.Ticket))
			}
			return nil
		},
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Exit non-zero when an exception is invalid, expired, or (with --from) unused, or an alternate lapsed or unverifiable (a report without its inventory)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, states, err := exceptionStates(o, from)
			if err != nil {
				return err
			}
			bad := 0
			for i, x := range s.Exceptions {
				if states[i] == "expired" || states[i] == "unused" || states[i] == "lapsed" || states[i] == "unverified" {
					bad++
					fmt.Fprintf(e.stdout, "%s %s: owner %s, expires %s\n", states[i], x.Ref(), x.Owner, x.Expires)
				}
			}
			if bad > 0 {
				msg := fmt.Sprintf("%d of %d exceptions expired, unused, lapsed or unverified", bad, len(s.Exceptions))
				if slices.Contains(states, "unverified") {
					msg += fmt.Sprintf(" (an alternate's evidence cannot be read from %s, written without its inventory: scan with --include-inventory)", from)
				}
				return &exitError{code: ExitFailed, err: errors.New(msg)}
			}
			if len(s.Exceptions) == 1 {
				fmt.Fprintln(e.stdout, "1 exception, current")
			} else {
				fmt.Fprintf(e.stdout, "%d exceptions, all current\n", len(s.Exceptions))
			}
			return nil
		},
	}
	for _, c := range []*cobra.Command{list, check} {
		o.bind(c)
		c.Flags().StringVar(&from, "from", "", "a JSON scan report: exceptions that match none of its findings are unused")
	}
	cmd.AddCommand(list, check)
	return cmd
}

func ticket(t string) string {
	if t == "" {
		return ""
	}
	return "  " + t
}

func exceptionStates(o *exceptionOptions, from string) (*exceptions.Set, []string, error) {
	now := time.Now().UTC()
	s, err := o.load(now)
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, usageError("no exceptions file: pass --exceptions FILE or create %s", DefaultExceptionsFile)
	}
	unused := map[string]bool{}
	noInventory := false
	if from != "" {
		f, err := os.Open(from)
		if err != nil {
			return nil, nil, usageError("--from: %v", err)
		}
		r, err := report.ReadJSON(f)
		f.Close()
		if err != nil {
			return nil, nil, usageError("--from: %v", err)
		}
		// From a report without its inventory, an alternate's evidence cannot be read (field trial: a lapsed one was
		// called current): it is "unverified", and the other exceptions are checked as usual (review: refusing the
		// whole file hid an expired exception).
		noInventory = r.Inventory == nil
		fs := make([]model.Finding, len(r.Findings))
		copy(fs, r.Findings)
		for i := range fs {
			if fs[i].Status == model.StatusMuted {
				fs[i].Status = fs[i].MutedStatus
			}
			if fs[i].Status == model.StatusPass && fs[i].Exception != nil && fs[i].MutedStatus != "" {
				// Passed through an alternate: judged again as it was before it (field trial: such an alternate was
				// called unused).
				fs[i].Status = fs[i].MutedStatus
			}
		}
		s.Apply(fs, accountInfos(r.Inventory), now)
		for _, h := range s.Hygiene(now, true) {
			if h.Reasons[0].Code == "EXCEPTION_UNUSED" {
				unused[h.ResourceID] = true
			}
		}
	}
	states := make([]string, len(s.Exceptions))
	for i, x := range s.Exceptions {
		states[i] = x.State(now)
		if unused[x.Ref()] && states[i] != "expired" {
			states[i] = "unused"
		}
		if s.Lapsed(x) && states[i] != "expired" {
			// Field trial: an alternate whose evidence the scan no longer sees was called current.
			states[i] = "lapsed"
		}
		if noInventory && x.Kind == exceptions.KindAlternate && states[i] != "expired" {
			states[i] = "unverified"
		}
	}
	return s, states, nil
}
