# Field trial (issue 21): a role policy builds its stream ARN from data.aws_region and data.aws_caller_identity read
# through an aliased provider (eu-west-1, one allowed account): both are that provider's, so the role may write: PASS
# (the region was the default provider's, us-east-1, and the verdict a false ROLE_CANNOT_WRITE).
provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias               = "audit"
  region              = "eu-west-1"
  allowed_account_ids = ["222222222222"]
}

data "aws_region" "audit" {
  provider = aws.audit
}

data "aws_caller_identity" "audit" {
  provider = aws.audit
}

resource "aws_cloudwatch_log_group" "ct" {
  provider          = aws.audit
  name              = "aws-cloudtrail-logs/main"
  retention_in_days = 365
}

resource "aws_iam_role" "ct" {
  provider = aws.audit
  name     = "ct-to-cwl"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "ct" {
  provider = aws.audit
  name     = "write"
  role     = aws_iam_role.ct.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource = "arn:aws:logs:${data.aws_region.audit.name}:${data.aws_caller_identity.audit.account_id}:log-group:aws-cloudtrail-logs/main:log-stream:${data.aws_caller_identity.audit.account_id}_CloudTrail_${data.aws_region.audit.name}*" }]
  })
}

resource "aws_cloudtrail" "main" {
  provider                   = aws.audit
  name                       = "main"
  s3_bucket_name             = "my-ct-logs-bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
