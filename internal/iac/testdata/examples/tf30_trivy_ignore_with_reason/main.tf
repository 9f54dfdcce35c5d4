# A reason after a Trivy ignore comment (Trivy docs: the text after the rule is free) mutes the finding (issue 12).
provider "aws" {
  region = "us-east-1"
}
#trivy:ignore:AVD-AWS-0162 logs go to the SIEM through S3, not CloudWatch Logs
resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"

}
