package cli

import "os"

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
