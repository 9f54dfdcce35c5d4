// Package scenariofuzz holds the fuzz target of the simulator's scenario parser on its own: a fuzz binary instruments
// every package it links, and the simulator's own tests link every AWS SDK client (issue 22).
package scenariofuzz_test

import (
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
)

// FuzzParseScenario: whatever a scenario file holds, the parser and the world it describes answer with a scenario or
// an error that names a line, never a panic.
func FuzzParseScenario(f *testing.F) {
	f.Add([]byte("accounts:\n  - id: \"111111111111\"\n"))
	f.Add([]byte("now: 2026-11-22T12:00:00Z\naccounts:\n  - id: \"111111111111\"\n    trails: [{name: abc, home_region: us-east-1, delivery: {last: 2d}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := awssim.ParseScenario("fuzz.yaml", data)
		if err == nil {
			if err := awssim.Check(sc); err != nil && !strings.Contains(err.Error(), "line") {
				t.Errorf("world error without a line: %v", err)
			}
		}
	})
}
