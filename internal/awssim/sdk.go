package awssim

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// SDKConfig returns an aws.Config for an account's simulated principal in region, with every client's endpoint
// pointed at the simulator. Nothing else differs from a real configuration.
func (s *Server) SDKConfig(accountID, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(AccessKeyFor(accountID), secretFor(accountID), "")),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}
