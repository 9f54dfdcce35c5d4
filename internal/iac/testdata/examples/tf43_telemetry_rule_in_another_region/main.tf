# Field trial (issue 26): a single-region trail in us-west-2 and a telemetry rule of us-east-1 only (no all_regions,
# no regions): the rule does not capture the trail's region, as the live scan says (REGIONS_UNCOVERED).
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

resource "aws_cloudtrail" "main" {
  provider       = aws.west
  name           = "main"
  s3_bucket_name = "b"
}

resource "aws_observabilityadmin_telemetry_evaluation" "this" {}

resource "aws_observabilityadmin_telemetry_rule" "ct" {
  rule_name = "r"
  rule {
    resource_type  = "AWS::CloudTrail"
    telemetry_type = "Logs"
    destination_configuration {
      destination_type = "cloud-watch-logs"
      cloudtrail_parameters {
        advanced_event_selectors {
          name = "m"
          field_selectors {
            field  = "eventCategory"
            equals = ["Management"]
          }
        }
      }
    }
  }
}
