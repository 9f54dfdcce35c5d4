# Distilled from boldlink/terraform-aws-cloudtrail, data.tf: partition, region, account and DNS suffix come from data
# sources through locals; the trust principal is "cloudtrail.${local.dns_suffix}". A working module (issue 12).
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
}

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["cloudtrail.${local.dns_suffix}"]
    }
  }
}

data "aws_iam_policy_document" "write" {
  statement {
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/cloudtrail/main:*"]
  }
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "/aws/cloudtrail/main"
  retention_in_days = 400
}

resource "aws_iam_role" "ct" {
  name               = "cloudtrail-main"
  assume_role_policy = data.aws_iam_policy_document.assume.json
}

resource "aws_iam_role_policy" "ct" {
  role   = aws_iam_role.ct.id
  policy = data.aws_iam_policy_document.write.json
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
