provider "aws" {
  region = "us-east-1"
}
# checkov:skip=CKV2_AWS_10: activity goes to the SIEM via EventBridge (SEC-12)
resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"

}
