provider "aws" {
  region = "us-east-1"
}
variable "log_group_arn" {
  default = ""
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = var.log_group_arn
}
