package iac

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesAreNotRead: a named pipe (or a device) inside a scanned tree is not read: reading one blocks until
// something writes to it, so `trailwatch iac .` hung for ever, and SIGTERM could not stop it. A pipe among a
// module's .tf files is an error on the module; one named like a template is skipped, with the reason. The other
// files are judged as usual.
func TestSpecialFilesAreNotRead(t *testing.T) {
	dir := t.TempDir()
	tf := filepath.Join(dir, "tf")
	os.MkdirAll(tf, 0o755)
	if err := syscall.Mkfifo(filepath.Join(tf, "pipe.tf"), 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	os.WriteFile(filepath.Join(tf, "main.tf"), []byte(`resource "aws_cloudtrail" "t" {
  name           = "t"
  s3_bucket_name = "b"
}
`), 0o644)
	syscall.Mkfifo(filepath.Join(dir, "template.yaml"), 0o600)
	done := make(chan *Result, 1)
	go func() { done <- Scan([]string{dir}, Options{}) }()
	var res *Result
	select {
	case res = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the scan blocked on a named pipe")
	}
	if len(res.Trails) != 1 {
		t.Errorf("%d trails, want the one in main.tf", len(res.Trails))
	}
	pipeErr := false
	for _, e := range res.Errors {
		pipeErr = pipeErr || (strings.HasSuffix(e.File, "pipe.tf") && strings.Contains(e.Msg, "not a regular file"))
	}
	if !pipeErr {
		t.Errorf("no error on the pipe among the .tf files: %+v", res.Errors)
	}
	skipped := false
	for _, s := range res.Skipped {
		skipped = skipped || (strings.HasSuffix(s.File, "template.yaml") && strings.Contains(s.Reason, "not a regular file"))
	}
	if !skipped {
		t.Errorf("the pipe named like a template was not skipped: %+v", res.Skipped)
	}
}
