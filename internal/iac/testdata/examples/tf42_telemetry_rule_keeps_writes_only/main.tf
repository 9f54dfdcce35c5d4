# Issue 26: the telemetry rule keeps write events only: it does not capture what CIS asks (read and write), so the
# trail still needs CloudWatch Logs, as the live scan says.
provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudtrail" "main" {
  name                  = "main"
  s3_bucket_name        = "my-ct-logs-bucket"
  is_multi_region_trail = true
}

resource "aws_observabilityadmin_telemetry_evaluation" "this" {}

resource "aws_observabilityadmin_telemetry_rule" "ct" {
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

          field_selectors {
            field  = "readOnly"
            equals = ["false"]
          }
        }
      }
    }
  }

  depends_on = [aws_observabilityadmin_telemetry_evaluation.this]
}
