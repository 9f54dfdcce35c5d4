provider "aws" {
  region = "us-east-1"
}
variable "arn" {
  default = ""
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = format("%s:*", var.arn)
  cloud_watch_logs_role_arn  = "arn:aws:iam::111111111111:role/CT"
}
