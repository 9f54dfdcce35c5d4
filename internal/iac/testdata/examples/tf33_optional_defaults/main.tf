# A module input typed with optional(type, default) attributes, left to its defaults: Terraform fills them in, so the
# log group keeps events 30 days, too short (issue 12: the defaults were not applied, and the retention was missed).
module "trail" {
  source = "./mod"
  config = {}
}
