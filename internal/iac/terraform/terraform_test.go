package terraform

import "testing"

func TestRegistryName(t *testing.T) {
	for src, want := range map[string]string{
		"cloudposse/cloudtrail/aws":                                                  "cloudtrail",
		"app.terraform.io/acme/cloudtrail/aws":                                       "cloudtrail",
		"cloudposse/cloudtrail-s3-bucket/aws":                                        "cloudtrail-s3-bucket",
		"terraform-aws-modules/cloudwatch/aws//modules/log-group":                    "cloudwatch",
		"git::https://github.com/trussworks/terraform-aws-cloudtrail.git?ref=v4.4.0": "cloudtrail",
		"github.com/acme/terraform-aws-org-cloudtrail":                               "org-cloudtrail",
		"git@github.com:acme/terraform-aws-cloudtrail.git":                           "cloudtrail",
	} {
		if got := registryName(src); got != want {
			t.Errorf("registryName(%q) = %q, want %q", src, got, want)
		}
	}
}
