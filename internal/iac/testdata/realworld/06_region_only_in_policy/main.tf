# No provider region in the configuration (it comes from the environment at apply time) but the policy names one:
# delivery works only if the trail is deployed there. Unknown before deployment, never "cannot write" (issue 12).
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
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "arn:aws:logs:eu-central-1:*:log-group:ct:*" }] })
}

resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
