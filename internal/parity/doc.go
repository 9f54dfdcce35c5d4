// Package parity holds the parity corpus (parity_test.go): configurations of a trail, its log group and its delivery
// role, each written as a simulator scenario, a Terraform root module, a Terraform plan (JSON) and a CloudFormation
// template, that must give the same reason codes of cloudtrail-cloudwatch-integration from every source (statuses
// differ only as controls/sources.go's table says), and where the simulator, which decides delivery with its own
// code, must deliver exactly where the live verdict says the role can write; and (alarms_test.go) the CIS alarm chain
// of item 4.5 on that trail's log group, each break of it written in the same four ways, must give item 4.5 the same
// reason code from every source. The package has no code of its own.
package parity
