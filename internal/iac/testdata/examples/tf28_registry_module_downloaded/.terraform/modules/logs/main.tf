variable "name" {}
variable "retention_in_days" {
  default = 400
}
resource "aws_cloudwatch_log_group" "this" {
  name              = var.name
  retention_in_days = var.retention_in_days
}
output "cloudwatch_log_group_arn" {
  value = aws_cloudwatch_log_group.this.arn
}
