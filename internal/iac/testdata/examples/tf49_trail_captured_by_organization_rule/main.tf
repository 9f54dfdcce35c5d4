# Issue 26: the management account's configuration declares an organization telemetry rule (and the organization's
# evaluation) that sends every management event of every region of every account to CloudWatch Logs: the trail
# without CloudWatch Logs beside it needs none, as the live scan judges it (before: NOT_INTEGRATED, the organization
# resources were not read).
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
