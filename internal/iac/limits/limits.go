// Package limits holds the bounds every infrastructure-as-code reader shares (issue 23: small hostile inputs
// exhausted memory): how much of a file is read, and how large one evaluated value may grow. Each reader reports a
// tripped limit as an ERROR naming it.
package limits

import (
	"fmt"
	"io"
	"os"
)

// MaxValueSize bounds one evaluated value: for Terraform the bytes of its strings plus 16 per element, for
// CloudFormation a string an intrinsic function builds (Fn::Join, Fn::Sub).
const MaxValueSize = 1 << 20

// ReadLimited reads a file named on the command line or found in a tree, at most max bytes: a larger one (or a device
// such as /dev/zero, which never ends and whose size reads as 0) is an error naming the limit, never read whole.
func ReadLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("not read: larger than --max-file-size %d bytes", max)
	}
	return data, nil
}
