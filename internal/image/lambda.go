package image

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"time"
)

// LambdaZip is the deployment package of trailwatch as an AWS Lambda function on the provided.al2023 runtime: the
// static linux binary as the single file "bootstrap", executable ("the runtime ... runs the bootstrap file", AWS Lambda
// developer guide, "Building Lambda functions with Go": the executable must be named bootstrap and be executable).
// The file's time is fixed (created), so the same binary gives the same zip.
func LambdaZip(binary string, created time.Time) ([]byte, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read the binary: %w", err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: created.UTC()}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
