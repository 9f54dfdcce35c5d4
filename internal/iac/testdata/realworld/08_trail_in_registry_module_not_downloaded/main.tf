# Distilled from cloudposse/terraform-aws-cloudtrail-cloudwatch-alarms examples/complete/main.tf (commit d5f4cd4):
# the trail is declared in the registry module cloudposse/cloudtrail/aws, which is not downloaded here. trailwatch
# reported nothing; the trail is UNKNOWN with "run terraform init". The S3 bucket module beside it declares no trail
# and stays silent.
provider "aws" {
  region = "us-east-1"
}

module "cloudtrail_s3_bucket" {
  source        = "cloudposse/cloudtrail-s3-bucket/aws"
  version       = "0.26.0"
  force_destroy = true
}

resource "aws_cloudwatch_log_group" "default" {
  name              = "cloudtrail"
  retention_in_days = 90
}

resource "aws_iam_role" "cloudtrail_cloudwatch_events_role" {
  name               = "cloudtrail-cwl"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

module "cloudtrail" {
  source                        = "cloudposse/cloudtrail/aws"
  version                       = "0.17.0"
  enable_log_file_validation    = true
  include_global_service_events = true
  is_multi_region_trail         = true
  enable_logging                = true
  s3_bucket_name                = module.cloudtrail_s3_bucket.bucket_id
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.default.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.cloudtrail_cloudwatch_events_role.arn
}

module "disabled_trail" {
  source = "git::https://github.com/trussworks/terraform-aws-cloudtrail.git?ref=v4.4.0"
  count  = 0
}
