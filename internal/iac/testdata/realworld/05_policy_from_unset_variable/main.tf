# The delivery role's policy comes from a variable with no value here (as in modules that take the policy as an
# input): its permissions cannot be read before deployment, so the verdict is UNKNOWN, never PASS (issue 12).
variable "delivery_policy" {}

resource "aws_cloudwatch_log_group" "ct" {
  name              = "ct"
  retention_in_days = 365
}

resource "aws_iam_role" "ct" {
  name               = "ct"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "ct" {
  role   = aws_iam_role.ct.id
  policy = var.delivery_policy
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
