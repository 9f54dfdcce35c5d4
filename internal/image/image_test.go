package image

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// The image is read back from the tarball by go-containerregistry's reader (what `crane push` uses), and its layer
// is walked with archive/tar: the oracle is the file system a container would see, not our builder's inputs.
func TestBuildWritesARunnableNonRootImage(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "trailwatch")
	ca := filepath.Join(dir, "ca.crt")
	must(t, os.WriteFile(bin, []byte("\x7fELF fake binary"), 0o755))
	must(t, os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n"), 0o644))
	created := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	img, err := Build(Options{Binary: bin, CACerts: ca, Version: "v1.2.3", Revision: "abc123", Created: created})
	must(t, err)
	out := filepath.Join(dir, "image.tar")
	must(t, Write(out, "trailwatch:v1.2.3", img))

	tag, err := name.NewTag("trailwatch:v1.2.3")
	must(t, err)
	back, err := tarball.ImageFromPath(out, &tag)
	must(t, err)
	cfg, err := back.ConfigFile()
	must(t, err)
	if got := cfg.Config.Entrypoint; len(got) != 1 || got[0] != "/trailwatch" {
		t.Errorf("entrypoint = %v, want [/trailwatch]", got)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user = %q, want the non-root 65532:65532", cfg.Config.User)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform = %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
	}
	if !cfg.Created.Time.Equal(created) {
		t.Errorf("created = %v, want %v (reproducible builds take the time given)", cfg.Created.Time, created)
	}
	for k, want := range map[string]string{"org.opencontainers.image.version": "v1.2.3", "org.opencontainers.image.revision": "abc123", "org.opencontainers.image.title": "trailwatch"} {
		if cfg.Config.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, cfg.Config.Labels[k], want)
		}
	}

	layers, err := back.Layers()
	must(t, err)
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1 (an empty base and our files)", len(layers))
	}
	rc, err := layers[0].Uncompressed()
	must(t, err)
	defer rc.Close()
	seen := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		must(t, err)
		seen[h.Name] = h
		if h.Name == "trailwatch" {
			b, _ := io.ReadAll(tr)
			if string(b) != "\x7fELF fake binary" {
				t.Errorf("binary content differs")
			}
		}
	}
	if h := seen["trailwatch"]; h == nil || h.Mode&0o111 == 0 {
		t.Errorf("/trailwatch missing or not executable: %+v", h)
	}
	for _, want := range []string{"etc/ssl/certs/ca-certificates.crt", "etc/passwd", "tmp/", "home/nonroot/"} {
		if seen[want] == nil {
			t.Errorf("%s missing from the image", want)
		}
	}
	if h := seen["home/nonroot/"]; h != nil && h.Uid != 65532 {
		t.Errorf("home owned by uid %d, want 65532 (the user must be able to write its home)", h.Uid)
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox"} {
		if seen[shell] != nil {
			t.Errorf("%s in the image: it must not carry a shell", shell)
		}
	}

	// Same inputs, same digest: a rebuilt release can be checked against the published one.
	again, err := Build(Options{Binary: bin, CACerts: ca, Version: "v1.2.3", Revision: "abc123", Created: created})
	must(t, err)
	d1, err := img.Digest()
	must(t, err)
	d2, err := again.Digest()
	must(t, err)
	if d1 != d2 {
		t.Errorf("two builds of the same inputs differ: %s vs %s", d1, d2)
	}
}

func TestBuildSaysWhatIsMissing(t *testing.T) {
	_, err := Build(Options{Binary: filepath.Join(t.TempDir(), "nope")})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a not-exist error naming the binary", err)
	}
	if err := Write(filepath.Join(t.TempDir(), "x.tar"), "Bad Tag!", nil); err == nil {
		t.Fatal("a malformed tag was accepted")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLambdaZip: the Lambda deployment package holds one executable file named bootstrap with the binary's bytes,
// and the same binary gives the same zip.
func TestLambdaZip(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "trailwatch")
	must(t, os.WriteFile(bin, []byte("\x7fELF fake binary"), 0o755))
	created := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	data, err := LambdaZip(bin, created)
	must(t, err)
	again, err := LambdaZip(bin, created)
	must(t, err)
	if !bytes.Equal(data, again) {
		t.Error("two builds of the same binary differ")
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	must(t, err)
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" || zr.File[0].Mode()&0o111 == 0 {
		t.Fatalf("files: %+v", zr.File)
	}
	rc, err := zr.File[0].Open()
	must(t, err)
	got, _ := io.ReadAll(rc)
	if string(got) != "\x7fELF fake binary" {
		t.Errorf("bootstrap holds %q", got)
	}
	if _, err := LambdaZip(filepath.Join(dir, "missing"), created); err == nil {
		t.Error("a missing binary gave a zip")
	}
}
