provider "aws" {
  region = "us-east-1"
}
#trivy:ignore:AVD-AWS-0162
resource "aws_cloudtrail" "main" {
  name           = "main"
  s3_bucket_name = "bucket"

}
