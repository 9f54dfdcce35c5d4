# Issue 21: the provider allows one account (allowed_account_ids), so the trail, its group and its role are in it, and
# a role policy naming the streams with that account literally, as the CloudTrail console writes it
# (111122223333_CloudTrail_<region>*), is judged: PASS. Before, the account was a placeholder and the verdict
# VALUE_UNKNOWN (trailwatch's own fix Terraform, which pins each provider to its account, was not judged PASS).
provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "aws-cloudtrail-logs/main"
  retention_in_days = 365
}

resource "aws_iam_role" "ct" {
  name = "ct-to-cwl"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

resource "aws_iam_role_policy" "ct" {
  name = "write"
  role = aws_iam_role.ct.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource = "${aws_cloudwatch_log_group.ct.arn}:log-stream:111122223333_CloudTrail_us-east-1*" }]
  })
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "my-ct-logs-bucket"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
