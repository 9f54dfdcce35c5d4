provider "aws" {
  region = "us-east-1"
}

resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"
  cloud_watch_logs_group_arn = "arn:aws:logs:eu-west-1:111111111111:log-group:CT:*"
  cloud_watch_logs_role_arn  = "arn:aws:iam::111111111111:role/CT"
}
