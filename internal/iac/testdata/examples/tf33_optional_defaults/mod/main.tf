variable "config" {
  type = object({
    name           = optional(string, "main")
    log_group_name = optional(string, "aws-cloudtrail-logs/main")
    retention      = optional(number, 30)
  })
}

resource "aws_cloudwatch_log_group" "ct" {
  name              = var.config.log_group_name
  retention_in_days = var.config.retention
}

resource "aws_iam_role" "ct" {
  name               = "${var.config.name}-ct"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "cloudtrail.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "ct" {
  role   = aws_iam_role.ct.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = ["logs:CreateLogStream", "logs:PutLogEvents"], Resource = "${aws_cloudwatch_log_group.ct.arn}:*" }] })
}

resource "aws_cloudtrail" "main" {
  name                       = var.config.name
  s3_bucket_name             = "b"
  cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.ct.arn}:*"
  cloud_watch_logs_role_arn  = aws_iam_role.ct.arn
}
