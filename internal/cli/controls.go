package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailwatch/trailwatch/internal/controls"
)

func newControlsCmd(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "controls [show ID]",
		Short: "List the control catalog, or show one control in full",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := controls.Load()
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(cat)
			}
			width := 0
			for _, c := range cat.Controls {
				width = max(width, len(c.ID))
			}
			for _, c := range cat.Controls {
				fmt.Fprintf(e.stdout, "%-*s %-7s %s\n", width, c.ID, c.Severity, c.Title)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Print one control: mappings, rationale, remediation and its reason codes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := controls.Load()
			if err != nil {
				return err
			}
			c, ok := cat.Control(args[0])
			if !ok {
				var ids []string
				for _, c := range cat.Controls {
					ids = append(ids, c.ID)
				}
				return usageError("no control %q; have %s", args[0], strings.Join(ids, ", "))
			}
			w := e.stdout
			fmt.Fprintf(w, "%s\n%s\n\n", c.ID, c.Title)
			fmt.Fprintf(w, "Resource:   %s\nSeverity:   %s\nProfile:    %s, %s\n\nMappings:\n", c.ResourceType, c.Severity, c.Profile, c.Assessment)
			for _, f := range c.Frameworks {
				fmt.Fprintf(w, "  %s %s %s\n", f.Framework, f.Version, f.ID)
			}
			if c.Notes != "" {
				fmt.Fprintf(w, "\nNotes:\n  %s\n", c.Notes)
			}
			fmt.Fprintf(w, "\nRationale:\n  %s\n\nRemediation:\n  %s\n\nReason codes:\n", c.Rationale, c.Remediation)
			for _, r := range cat.ReasonsOf(c.ID) {
				fmt.Fprintf(w, "  %-27s %-8s %s\n", r.Code, r.Status, r.Meaning)
			}
			return nil
		},
	}
	cmd.AddCommand(show)
	return cmd
}
