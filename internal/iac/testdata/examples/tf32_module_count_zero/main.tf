# A module whose count comes to 0 through a chain of locals longer than the old fixed passes: Terraform creates
# nothing, so its trail is SKIPPED (issue 12: it was a phantom instance that FAILed, or silence).
locals {
  a = 1
  b = local.a
  c = local.b
  d = local.c
  e = local.d
  f = local.e
  g = local.f
  enabled = local.g - 1
}
module "ct" {
  source = "./mod"
  count  = local.enabled
}
