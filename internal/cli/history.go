package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/model"
	"github.com/trailwatch/trailwatch/internal/store"
)

// storeOptions name the history store.
type storeOptions struct {
	dsn string
}

func (o *storeOptions) bind(cmd *cobra.Command, record bool) {
	usage := "history store: a SQLite file, postgres://..., or env:NAME to read it from an environment variable (default " + store.DefaultPath() + ")"
	if record {
		usage = "record the scan in the history store: a SQLite file, postgres://..., env:NAME to read it from an environment variable, or \"default\" for " + store.DefaultPath()
	}
	cmd.Flags().StringVar(&o.dsn, "store", "", usage)
}

func (o *storeOptions) open(ctx context.Context) (*store.Store, error) {
	dsn := o.dsn
	if name, ok := strings.CutPrefix(dsn, "env:"); ok {
		// --store env:NAME: the URL (with its password) comes from the environment, as a Kubernetes Secret or an
		// AWS Batch secret provides it, and never stands in the command line or a process listing.
		if dsn = os.Getenv(name); dsn == "" {
			return nil, usageError("--store env:%s: the environment variable %s is not set or empty", name, name)
		}
	}
	if dsn == "" || dsn == "default" {
		dsn = store.DefaultPath()
	} else if !strings.Contains(dsn, "://") {
		// A file named by the user: its directory must exist, as for every path flag (only the default store's
		// directory is created).
		if err := checkWritableDir("--store", dsn); err != nil {
			return nil, err
		}
	}
	s, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, usageError("--store: %v", err)
	}
	return s, nil
}

// where names the store for messages: its path, or for PostgreSQL the host and database only (the URL may carry a
// password).
func (o *storeOptions) where() string {
	dsn := o.dsn
	if dsn == "" || dsn == "default" {
		return store.DefaultPath()
	}
	if strings.HasPrefix(dsn, "env:") {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return u.Scheme + "://" + u.Host + u.Path
	}
	return dsn
}

// openIfSet opens (and migrates) the store when --store was given, nil otherwise: before any scan, so that a store
// that cannot be opened is a usage error that costs nothing.
func (o *storeOptions) openIfSet(ctx context.Context) (*store.Store, error) {
	if o.dsn == "" {
		return nil, nil
	}
	return o.open(ctx)
}

func newHistoryCmd(e *env) *cobra.Command {
	o := &storeOptions{}
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List the recorded scans, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			scans, err := s.Scans(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if scans == nil {
					scans = []store.Scan{}
				}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(scans)
			}
			if len(scans) == 0 {
				fmt.Fprintf(e.stderr, "no scan recorded in %s: scan, demo or merge with --store %s records one\n", o.where(), o.where())
				return nil
			}
			for _, sc := range scans {
				incomplete := ""
				if !sc.Complete {
					incomplete = "  (incomplete)"
				}
				fmt.Fprintf(e.stdout, "%5d  %s  %d findings: %d FAIL, %d ERROR, %d WARN, %d PASS%s\n", sc.ID, sc.GeneratedAt.Format(time.RFC3339),
					sc.Summary.Total, sc.Summary.ByStatus["FAIL"], sc.Summary.ByStatus["ERROR"], sc.Summary.ByStatus["WARN"], sc.Summary.ByStatus["PASS"], incomplete)
			}
			return nil
		},
	}
	o.bind(cmd, false)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newDiffCmd(e *env) *cobra.Command {
	o := &storeOptions{}
	var format string
	cmd := &cobra.Command{
		Use:   "diff [A] [B]",
		Short: "Show the findings that are new, resolved or changed between two recorded scans (default: the last two)",
		Long: `Compare two recorded scans by finding id: new = failing (FAIL, ERROR, WARN, UNKNOWN) in B and not in A; resolved =
failing in A and not in B; changed = failing in both with another status or other reasons. When B was incomplete
(the account listing broke off, an interrupted --partial scan), a failing finding absent from B is unseen, not
resolved. --format json prints {"new": [...], "resolved": [...], "changed": [...], "unseen": [...]} with findings in
the report schema.`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return usageError("--format %q: want table or json", format)
			}
			s, err := o.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			a, b, err := diffScans(cmd.Context(), s, args)
			if err != nil {
				return err
			}
			fa, err := s.Findings(cmd.Context(), a)
			if err != nil {
				return usageError("%v", err)
			}
			fb, err := s.Findings(cmd.Context(), b)
			if err != nil {
				return usageError("%v", err)
			}
			complete, err := s.Complete(cmd.Context(), b)
			if err != nil {
				return usageError("%v", err)
			}
			d := store.Compare(fa, fb, complete)
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			fmt.Fprintf(e.stdout, "scan %d -> scan %d: %d new, %d resolved, %d changed\n", a, b, len(d.New), len(d.Resolved), len(d.Changed))
			if !complete {
				fmt.Fprintf(e.stdout, "scan %d was incomplete: %d failing findings it did not see are unseen, not resolved\n", b, len(d.Unseen))
			}
			for _, g := range []struct {
				name string
				fs   []model.Finding
			}{{"new", d.New}, {"resolved", d.Resolved}, {"changed", d.Changed}, {"unseen", d.Unseen}} {
				for _, f := range g.fs {
					fmt.Fprintf(e.stdout, "%-9s %-8s %s %s\n", g.name, f.Status, f.ControlID, f.ResourceID)
				}
			}
			return nil
		},
	}
	o.bind(cmd, false)
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	return cmd
}

// diffScans picks the scans to compare: both given, one given (against the latest), or the last two.
func diffScans(ctx context.Context, s *store.Store, args []string) (int64, int64, error) {
	var ids []int64
	for _, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return 0, 0, usageError("scan id %q: want a number from trailwatch history", a)
		}
		ids = append(ids, n)
	}
	if len(ids) == 2 {
		return ids[0], ids[1], nil
	}
	scans, err := s.Scans(ctx)
	if err != nil {
		return 0, 0, err
	}
	if len(ids) == 1 {
		if len(scans) == 0 {
			return 0, 0, usageError("no recorded scans")
		}
		return ids[0], scans[0].ID, nil
	}
	if len(scans) < 2 {
		return 0, 0, usageError("diff needs two recorded scans; %d recorded (scan with --store)", len(scans))
	}
	return scans[1].ID, scans[0].ID, nil
}
