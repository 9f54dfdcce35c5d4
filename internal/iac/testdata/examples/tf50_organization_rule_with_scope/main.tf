# Field trial (issue 26): an organization rule with a scope (accounts or organizational units) reaches only the
# accounts in it; whether this configuration's account is among them is known only in the organization: UNKNOWN, not
# CAPTURED_BY_TELEMETRY_RULE.
provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudtrail" "main" {
  name                  = "main"
  s3_bucket_name        = "my-ct-logs-bucket"
  is_multi_region_trail = true
}

resource "aws_observabilityadmin_telemetry_evaluation_for_organization" "this" {}

resource "aws_observabilityadmin_telemetry_rule_for_organization" "ct" {
  rule_name = "cloudtrail-to-cwl"

  rule {
    resource_type  = "AWS::CloudTrail"
    telemetry_type = "Logs"
    all_regions    = true
    scope          = "OrganizationalUnitId = 'ou-abcd-12345678'"

    destination_configuration {
      destination_type  = "cloud-watch-logs"
      retention_in_days = 365

      cloudtrail_parameters {
        advanced_event_selectors {
          name = "management"

          field_selectors {
            field  = "eventCategory"
            equals = ["Management"]
          }
        }
      }
    }
  }

  depends_on = [aws_observabilityadmin_telemetry_evaluation_for_organization.this]
}
