# Distilled from raven4ever/tf-cloudtrail-deleted-kms, data.tf: the policy's resource is built with format() from the
# partition, region and account data sources and the log group's name. A working module (issue 12).
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "assume" {
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
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [format("arn:%s:logs:%s:%s:log-group:%s:log-stream:*",
      data.aws_partition.current.partition, data.aws_region.current.name,
    data.aws_caller_identity.current.account_id, aws_cloudwatch_log_group.trail.name)]
  }
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "trail-logs"
  retention_in_days = 365
}

resource "aws_iam_role" "cw" {
  name               = "cw"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "cw" {
  role   = aws_iam_role.cw.id
  policy = data.aws_iam_policy_document.write.json
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.cw.arn
}
