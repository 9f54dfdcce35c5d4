// Package examples ships the example simulator scenarios, embedded for `trailwatch demo` and the tests.
package examples

import _ "embed"

// Organization is examples/organization.yaml: a realistic AWS Organization with one broken pipeline of each kind.
//
//go:embed organization.yaml
var Organization []byte

// Watch is examples/watch.yaml: the two-account organization the continuous-mode tests break and repair.
//
//go:embed watch.yaml
var Watch []byte
