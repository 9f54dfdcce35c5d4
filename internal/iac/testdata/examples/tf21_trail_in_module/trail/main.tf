variable "group_arn" {}
variable "role_arn" {}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = var.group_arn
  cloud_watch_logs_role_arn  = var.role_arn
}
