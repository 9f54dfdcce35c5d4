package suggest

import "testing"

func TestNearest(t *testing.T) {
	regions := []string{"us-east-1", "us-east-2", "eu-west-1", "ap-southeast-1"}
	tests := []struct{ in, want string }{
		{"US-EAST-1", "us-east-1"},
		{"us-est-1", "us-east-1"},
		{"eu-wset-1", "eu-west-1"},
		{"ap-southeast1", "ap-southeast-1"},
		{"mars-north-9", ""},
		{"", ""},
	}
	for _, tc := range tests {
		if got := Nearest(tc.in, regions); got != tc.want {
			t.Errorf("Nearest(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := DidYouMean("cloudtrail-cloudwach-integration", []string{"cloudtrail-cloudwatch-integration", "account-activity-capture"}); got != "; did you mean cloudtrail-cloudwatch-integration?" {
		t.Errorf("DidYouMean: %q", got)
	}
}
