# Field trial (issue 21): AWS provider 6 resource-level region puts the log group in eu-west-1, the trail in us-east-1.
provider "aws" {
  region = "us-east-1"
}

resource "aws_s3_bucket" "logs" {
  bucket = "my-ct-logs-bucket"
}

resource "aws_cloudwatch_log_group" "ct" {
  region            = "eu-west-1"
  name              = "ct-logs"
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
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.ct.arn}:*" }]
  })
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = aws_s3_bucket.logs.id
  is_multi_region_trail      = true
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
