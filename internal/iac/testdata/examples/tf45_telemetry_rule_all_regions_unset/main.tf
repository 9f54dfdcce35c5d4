# Field trial (issue 26): all_regions comes from a variable with no value: whether the rule captures the trail is
# known only at deployment (UNKNOWN), never a guessed PASS or FAIL.
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
    all_regions    = var.everywhere
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
variable "everywhere" {
  type = bool
}
