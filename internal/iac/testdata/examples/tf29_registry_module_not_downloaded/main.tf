provider "aws" {
  region = "us-east-1"
}

module "logs" {
  source  = "terraform-aws-modules/cloudwatch/aws//modules/log-group"
  version = "5.0.0"
  name    = "aws-cloudtrail-logs/main"
}

resource "aws_iam_role" "ct" {
  name               = "ct"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
  managed_policy_arns = ["arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"]
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "bucket"
  cloud_watch_logs_group_arn = "${module.logs.cloudwatch_log_group_arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
