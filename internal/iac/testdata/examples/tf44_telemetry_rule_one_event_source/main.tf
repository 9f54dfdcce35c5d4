# Field trial (issue 26): a rule whose selector keeps one event source (S3) keeps only some management events: it
# does not capture what CIS asks, and the trail still needs CloudWatch Logs.
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "b"
}

resource "aws_observabilityadmin_telemetry_evaluation" "this" {}

resource "aws_observabilityadmin_telemetry_rule" "ct" {
  rule_name = "r"
  rule {
    resource_type  = "AWS::CloudTrail"
    telemetry_type = "Logs"
    all_regions    = true
    destination_configuration {
      destination_type = "cloud-watch-logs"
      cloudtrail_parameters {
        advanced_event_selectors {
          name = "m"
          field_selectors {
            field  = "eventCategory"
            equals = ["Management"]
          }
          field_selectors {
            field  = "eventSource"
            equals = ["s3.amazonaws.com"]
          }
        }
      }
    }
  }
}
