# Review (issue 21): a module called with providers = { aws = aws.b } makes its resources with alias b, which allows
# account 444455556666: its policy naming that account's streams lets the role write: PASS (it took the caller's default
# provider's account, 111122223333: a false ROLE_CANNOT_WRITE).
provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}
provider "aws" {
  alias               = "b"
  region              = "us-east-1"
  allowed_account_ids = ["444455556666"]
}
module "m" {
  source    = "./m"
  providers = { aws = aws.b }
}
