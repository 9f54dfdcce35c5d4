# Issue 21: the role policy names the log group by var.group, as the group itself does: whatever var.group is, the
# role may write to the group (PASS, was VALUE_UNKNOWN).
variable "group" { type = string }
resource "aws_cloudtrail" "main" {
  name                          = "main"
  s3_bucket_name                = "b"
  is_multi_region_trail         = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.ct.arn
}
resource "aws_cloudwatch_log_group" "ct" {
  name = var.group
  retention_in_days = 365
}
resource "aws_iam_role" "ct" {
  name = "ct"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = {Service = "cloudtrail.amazonaws.com"}, Action = "sts:AssumeRole"}]})
}
resource "aws_iam_role_policy" "ct" {
  role = aws_iam_role.ct.id
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "arn:aws:logs:*:*:log-group:${var.group}:log-stream:*"}]})
}
