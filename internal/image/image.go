// Package image builds trailwatch's container image without a Docker daemon (go-containerregistry): the static
// binary on an empty base, with CA certificates, a non-root user and no shell, labelled with the release version
// (OCI image annotations). It writes a tarball that `docker load`, `podman load` or `crane push` take.
package image

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// NonRoot is the user the image runs as (the uid distroless images use for "nonroot").
const NonRoot = "65532:65532"

// Options say what goes into the image.
type Options struct {
	Binary   string // path of the static linux binary
	CACerts  string // path of a CA bundle (default /etc/ssl/certs/ca-certificates.crt)
	Version  string
	Revision string
	Source   string // the repository URL, for org.opencontainers.image.source
	Created  time.Time
}

// Build returns the image.
func Build(o Options) (v1.Image, error) {
	if o.CACerts == "" {
		o.CACerts = "/etc/ssl/certs/ca-certificates.crt"
	}
	bin, err := os.ReadFile(o.Binary)
	if err != nil {
		return nil, fmt.Errorf("read the binary: %w", err)
	}
	ca, err := os.ReadFile(o.CACerts)
	if err != nil {
		return nil, fmt.Errorf("read the CA certificates: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct {
		name string
		mode int64
		data []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{"etc/group", 0o644, []byte("root:x:0:\nnonroot:x:65532:\n")},
		{"etc/ssl/certs/ca-certificates.crt", 0o644, ca},
		{"trailwatch", 0o755, bin},
	}
	mod := o.Created
	for _, d := range []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "home/", "home/nonroot/", "tmp/"} {
		mode := int64(0o755)
		uid := 0
		switch d {
		case "tmp/":
			mode = 0o1777
		case "home/nonroot/":
			uid = 65532
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, Uid: uid, Gid: uid, ModTime: mod}); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: mod}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture, cfg.OS = "amd64", "linux"
	cfg.Created = v1.Time{Time: o.Created}
	labels := map[string]string{
		"org.opencontainers.image.title":       "trailwatch",
		"org.opencontainers.image.description": "CloudTrail to CloudWatch Logs: detect, explain, fix",
		"org.opencontainers.image.version":     o.Version,
		"org.opencontainers.image.revision":    o.Revision,
	}
	if o.Source != "" {
		labels["org.opencontainers.image.source"] = o.Source
	}
	cfg.Config = v1.Config{
		Entrypoint: []string{"/trailwatch"},
		User:       NonRoot,
		WorkingDir: "/home/nonroot",
		Env:        []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "HOME=/home/nonroot"},
		Labels:     labels,
	}
	return mutate.ConfigFile(img, cfg)
}

// Write saves the image as a tarball tagged ref (for example trailwatch:v1.2.3).
func Write(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("image tag %q: %w", ref, err)
	}
	return tarball.WriteToFile(path, tag, img)
}
