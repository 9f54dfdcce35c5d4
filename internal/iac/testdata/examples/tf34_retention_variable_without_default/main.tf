provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "aws-cloudtrail-logs/main"
  retention_in_days = var.retention
}

resource "aws_iam_role" "ct" {
  name = "CloudTrailCWLogs"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "ct" {
  role = aws_iam_role.ct.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.ct.arn}:log-stream:*" }]
  })
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
# Issue 21/22: a retention from a variable with no default was PASS (read as "never expire"); it is known only at deployment.
variable "retention" {
  type = number
}
