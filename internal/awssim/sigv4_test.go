package awssim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// signRequest signs req with the SDK's own Signature Version 4 signer, as an account's key (an independent
// implementation of what verifySignature checks).
func signRequest(t *testing.T, req *http.Request, body []byte, account, region, service string) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: AccessKeyFor(account), SecretAccessKey: secretFor(account)}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestVerifySignature: a request the SDK signs with the key's secret passes; the same request checked against another
// secret, or changed after signing (body, a signed header, the query), does not. The requests go over loopback, so
// the server sees them as AWS does (Host promoted, Content-Length a header).
func TestVerifySignature(t *testing.T) {
	const acct = "111111111111"
	var secret string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if verifySignature(r, b, secret) {
			w.WriteHeader(200)
		} else {
			w.WriteHeader(403)
		}
	}))
	defer srv.Close()
	check := func(req *http.Request, sec string) bool {
		t.Helper()
		secret = sec
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}
	body := []byte(`{"includeShadowTrails":true}`)
	mk := func(b []byte, query string) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/path/a?"+query, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "CloudTrail_20131101.DescribeTrails")
		signRequest(t, req, body, acct, "us-east-1", "cloudtrail")
		return req
	}
	if !check(mk(body, "b=2&a=1&c=x%20y~*"), secretFor(acct)) {
		t.Fatal("a good signature was refused")
	}
	if check(mk(body, ""), "another-secret") {
		t.Error("another secret passed")
	}
	if check(mk(bytes.ToUpper(body), ""), secretFor(acct)) {
		t.Error("a changed body passed")
	}
	req := mk(body, "")
	req.Header.Set("X-Amz-Target", "CloudTrail_20131101.DeleteTrail")
	if check(req, secretFor(acct)) {
		t.Error("a changed signed header passed")
	}
	req = mk(body, "a=1")
	req.URL.RawQuery = "a=2"
	if check(req, secretFor(acct)) {
		t.Error("a changed query passed")
	}
	req = mk(body, "")
	req.Header.Del("Authorization")
	if check(req, secretFor(acct)) {
		t.Error("no signature passed")
	}
}

// TestWrongSecretKey: a known access key with the wrong secret is refused as AWS refuses it, per protocol: STS (query)
// SignatureDoesNotMatch, CloudTrail (JSON) InvalidSignatureException, EC2 AuthFailure. It was served as the key's
// account: the simulator did not verify signatures.
func TestWrongSecretKey(t *testing.T) {
	s := start(t, `
accounts:
  - id: "111111111111"
    regions: [us-east-1]
`)
	cfg := s.SDKConfig("111111111111", "us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(AccessKeyFor("111111111111"), "not-the-secret", "")
	ctx := context.Background()
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, nil)
	if apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("STS: %v", err)
	}
	_, err = cloudtrail.NewFromConfig(cfg).DescribeTrails(ctx, nil)
	if apiCode(err) != "InvalidSignatureException" {
		t.Errorf("CloudTrail: %v", err)
	}
	_, err = ec2.NewFromConfig(cfg).DescribeRegions(ctx, nil)
	if apiCode(err) != "AuthFailure" {
		t.Errorf("EC2: %v", err)
	}
	// The right secret still works.
	if _, err := sts.NewFromConfig(s.SDKConfig("111111111111", "us-east-1")).GetCallerIdentity(ctx, nil); err != nil {
		t.Errorf("the right secret: %v", err)
	}
}
