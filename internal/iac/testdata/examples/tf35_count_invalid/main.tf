# Issue 23: count = -1 and count = "many" were reported SKIPPED (not created); Terraform refuses both.
resource "aws_cloudtrail" "negative" {
  count          = -1
  name           = "negative"
  s3_bucket_name = "bucket"
}

resource "aws_cloudtrail" "words" {
  count          = "many"
  name           = "words"
  s3_bucket_name = "bucket"
}

resource "aws_cloudtrail" "quoted" {
  count          = "1"
  name           = "quoted"
  s3_bucket_name = "bucket"
}
