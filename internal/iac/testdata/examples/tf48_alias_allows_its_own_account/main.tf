# Issue 21: the resources are made through an aliased provider that allows one account, other than the default
# provider's: they are in the alias's account, and a policy naming that account's streams is judged: PASS.
provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}

provider "aws" {
  alias               = "audit"
  region              = "eu-west-1"
  allowed_account_ids = ["444455556666"]
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
    Resource = "${aws_cloudwatch_log_group.ct.arn}:log-stream:444455556666_CloudTrail_eu-west-1*" }]
  })
}

resource "aws_cloudtrail" "main" {
  provider                   = aws.audit
  name                       = "main"
  s3_bucket_name             = "my-ct-logs-bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
