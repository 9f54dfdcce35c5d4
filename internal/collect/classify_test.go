package collect

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/smithy-go"

	"github.com/trailwatch/trailwatch/internal/model"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		kind model.ErrorKind
		code string
	}{
		{&smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}, model.ErrAccessDenied, "AccessDeniedException"},
		{&smithy.GenericAPIError{Code: "AccessDenied"}, model.ErrAccessDenied, "AccessDenied"},
		{&smithy.GenericAPIError{Code: "CloudTrailARNInvalidException"}, model.ErrAccessDenied, "CloudTrailARNInvalidException"},
		{&smithy.GenericAPIError{Code: "ThrottlingException"}, model.ErrThrottled, "ThrottlingException"},
		{&smithy.GenericAPIError{Code: "TooManyRequestsException"}, model.ErrThrottled, "TooManyRequestsException"},
		{&smithy.GenericAPIError{Code: "RequestLimitExceeded"}, model.ErrThrottled, "RequestLimitExceeded"},
		// Issue 22: codes the SDK's retryer throttles on that the hand-kept list missed.
		{&smithy.GenericAPIError{Code: "PriorRequestNotComplete"}, model.ErrThrottled, "PriorRequestNotComplete"},
		{&smithy.GenericAPIError{Code: "BandwidthLimitExceeded"}, model.ErrThrottled, "BandwidthLimitExceeded"},
		{&smithy.GenericAPIError{Code: "ProvisionedThroughputExceededException"}, model.ErrThrottled, "ProvisionedThroughputExceededException"},
		{&smithy.GenericAPIError{Code: "UnrecognizedClientException"}, model.ErrCredentialsRefused, "UnrecognizedClientException"},
		{&smithy.GenericAPIError{Code: "InvalidClientTokenId"}, model.ErrCredentialsRefused, "InvalidClientTokenId"},
		// A wrong secret key, or a session that expired during a long scan: the credentials, refused.
		{&smithy.GenericAPIError{Code: "SignatureDoesNotMatch"}, model.ErrCredentialsRefused, "SignatureDoesNotMatch"},
		{&smithy.GenericAPIError{Code: "InvalidSignatureException"}, model.ErrCredentialsRefused, "InvalidSignatureException"},
		{&smithy.GenericAPIError{Code: "ExpiredToken"}, model.ErrCredentialsRefused, "ExpiredToken"},
		{&smithy.GenericAPIError{Code: "ExpiredTokenException"}, model.ErrCredentialsRefused, "ExpiredTokenException"},
		{&smithy.GenericAPIError{Code: "NoSuchEntity"}, model.ErrNotFound, "NoSuchEntity"},
		{&smithy.GenericAPIError{Code: "InternalFailure"}, model.ErrOther, "InternalFailure"},
		{fmt.Errorf("wrapped: %w", &smithy.GenericAPIError{Code: "ThrottlingException"}), model.ErrThrottled, "ThrottlingException"},
		{ratelimit.QuotaExceededError{}, model.ErrThrottled, "RetryQuotaExceeded"},
		{context.DeadlineExceeded, model.ErrOther, "TimedOut"},
		{fmt.Errorf("operation error: %w", context.Canceled), model.ErrCanceled, "Canceled"},
		{errors.New("dial tcp: refused"), model.ErrOther, "Error"},
	}
	for _, tc := range tests {
		got := Classify("svc:Op", "eu-west-1", tc.err)
		if got.Kind != tc.kind || got.Code != tc.code || got.API != "svc:Op" || got.Region != "eu-west-1" {
			t.Errorf("Classify(%v) = %+v, want %s %s", tc.err, got, tc.kind, tc.code)
		}
	}
}
