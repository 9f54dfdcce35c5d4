# Issue 21: a reference to an undeclared resource was UNKNOWN ("cannot be evaluated before apply"); Terraform refuses
# the configuration ("Reference to undeclared resource").
resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.missing.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.missing.arn
}
