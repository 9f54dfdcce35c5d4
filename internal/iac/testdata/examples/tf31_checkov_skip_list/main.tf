# Checkov skips several checks in one comment, with spaces around the ids (issue 12).
provider "aws" {
  region = "us-east-1"
}
# checkov:skip= CKV_AWS_35 , CKV2_AWS_10 : activity goes to the SIEM via EventBridge (SEC-12)
resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"

}
