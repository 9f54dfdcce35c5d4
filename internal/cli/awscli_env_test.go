package cli

import (
	"os"
	"testing"

	"github.com/trailwatch/trailwatch/internal/awscli"
)

// awsCLIEnv is the environment the AWS CLI runs in for a test: the process's, without the empty AWS_PROFILE and
// AWS_SESSION_TOKEN the CLI would read as names, then extra (later values win).
func awsCLIEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if kv != "AWS_PROFILE=" && kv != "AWS_SESSION_TOKEN=" {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startAWSCLI starts the AWS CLI for a test with awsCLIEnv(extra...): many commands in one process (internal/awscli).
func startAWSCLI(t *testing.T, extra ...string) *awscli.CLI {
	t.Helper()
	c := awscli.Start(awsCLIEnv(extra...))
	t.Cleanup(c.Close)
	return c
}
