provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "aws-cloudtrail-logs/main"
  retention_in_days = 365
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
}
