# Distilled from timvishal/terraform-evercommerce, terraform-aws-cloudwatch-metrics/aws_iam_role.tf: the delivery
# policy names a concrete partition ("aws") and the region from a variable; the provider's region is that variable.
# A working module: trailwatch must not claim the role cannot write (issue 12); the partition follows from the region.
variable "aws_region" {
  default = "us-east-2"
}

provider "aws" {
  region = var.aws_region
}

data "aws_caller_identity" "current" {}

resource "aws_cloudwatch_log_group" "events" {
  name              = "cloudtrail-events"
  retention_in_days = 365
}

resource "aws_iam_role" "events" {
  name               = "CloudTrailRoleForCloudwatchLogs"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "events" {
  name = "write"
  role = aws_iam_role.events.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource = ["arn:aws:logs:${var.aws_region}:${data.aws_caller_identity.current.account_id}:log-group:${aws_cloudwatch_log_group.events.id}:log-stream:*"] }] })
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  is_multi_region_trail      = false
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.events.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.events.arn
}
