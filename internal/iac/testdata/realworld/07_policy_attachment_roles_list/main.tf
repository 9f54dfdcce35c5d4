# aws_iam_policy_attachment attaches a managed policy to the roles in its list: the delivery permission comes from it
# (issue 12: it was ignored, so a working module got ROLE_CANNOT_WRITE).
provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "ct"
  retention_in_days = 365
}

resource "aws_iam_role" "ct" {
  name               = "ct"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_policy" "write" {
  name   = "ct-write"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.ct.arn}:*" }] })
}

resource "aws_iam_policy_attachment" "write" {
  name       = "ct-write"
  roles      = [aws_iam_role.ct.name]
  policy_arn = aws_iam_policy.write.arn
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
