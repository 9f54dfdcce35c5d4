// Command image writes trailwatch's container image as a tarball (make image): no Docker daemon needed.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/trailwatch/trailwatch/internal/image"
)

func main() {
	bin := flag.String("binary", "bin/trailwatch-linux-amd64", "the static linux/amd64 binary")
	out := flag.String("o", "bin/trailwatch-image.tar", "the image tarball to write")
	version := flag.String("version", "dev", "the release version (a label and the tag)")
	revision := flag.String("revision", "", "the VCS revision (a label)")
	lambdaZip := flag.String("lambda-zip", "", "also write the AWS Lambda deployment package (bootstrap) to this zip")
	flag.Parse()
	// SOURCE_DATE_EPOCH (reproducible-builds.org) fixes the image's times, so the same commit gives the same digest;
	// make image sets it to the commit time.
	created := time.Now().UTC().Truncate(time.Second)
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "image: SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970\n", v)
			os.Exit(2)
		}
		created = time.Unix(sec, 0).UTC()
	}
	img, err := image.Build(image.Options{Binary: *bin, Version: *version, Revision: *revision, Created: created})
	if err == nil {
		err = image.Write(*out, "trailwatch:"+*version, img)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote %s (trailwatch:%s)\n", *out, *version)
	if *lambdaZip != "" {
		data, err := image.LambdaZip(*bin, created)
		if err == nil {
			err = os.WriteFile(*lambdaZip, data, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "image: lambda zip:", err)
			os.Exit(1)
		}
		fmt.Printf("wrote %s (the Lambda deployment package: upload it and pass its bucket and key to deploy --mode lambda)\n", *lambdaZip)
	}
}
