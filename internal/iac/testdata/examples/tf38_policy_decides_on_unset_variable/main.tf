# Issue 21: the policy decides on var.group, which has no value: a placeholder must not decide the conditional, so
# the verdict stays unknown (a placeholder would pick the branch that matches: PASS, wrong when var.group is "ct").
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
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = var.group == "ct" ? "arn:aws:logs:*:*:log-group:nothing:log-stream:*" : "arn:aws:logs:*:*:log-group:${var.group}:log-stream:*"}]})
}
