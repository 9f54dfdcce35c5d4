// Package simtest serves a simulator scenario for the length of a test: the one way the other packages' tests start
// the AWS simulator (each had its own copy of these lines).
package simtest

import (
	"context"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awssim"
)

// Serve parses the scenario text (named after the test, for its errors' file name) and serves it until the test ends.
func Serve(t testing.TB, text string, o awssim.Options) *awssim.Server {
	t.Helper()
	sc, err := awssim.ParseScenario(t.Name()+".yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return ServeScenario(t, sc, o)
}

// ServeScenario serves sc until the test ends.
func ServeScenario(t testing.TB, sc *awssim.Scenario, o awssim.Options) *awssim.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv, err := awssim.Start(ctx, sc, o)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}
