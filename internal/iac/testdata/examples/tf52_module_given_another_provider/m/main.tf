resource "aws_cloudwatch_log_group" "ct" {
  name              = "ct"
  retention_in_days = 365
}
resource "aws_iam_role" "ct" {
  name               = "ct"
  assume_role_policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Principal = {Service = "cloudtrail.amazonaws.com"}, Action = "sts:AssumeRole"}]})
}
resource "aws_iam_role_policy" "ct" {
  role   = aws_iam_role.ct.name
  policy = jsonencode({Version = "2012-10-17", Statement = [{Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "arn:aws:logs:us-east-1:444455556666:log-group:ct:log-stream:444455556666_CloudTrail_us-east-1*"}]})
}
resource "aws_cloudtrail" "main" {
  name                       = "main"
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
