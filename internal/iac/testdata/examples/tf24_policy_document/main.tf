provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "aws-cloudtrail-logs/main"
  retention_in_days = 365
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "write" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.ct.arn}:*"]
  }
}

resource "aws_iam_role" "ct" {
  name               = "ct"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  inline_policy {
    name   = "write"
    policy = data.aws_iam_policy_document.write.json
  }
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
