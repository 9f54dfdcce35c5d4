provider "aws" {
  region = "us-east-1"
}
# trailwatch:ignore cloudtrail-cloudwatch-integration reason="legacy" expires=2020-01-31
resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"

}
