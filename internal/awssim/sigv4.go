package awssim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// verifySignature checks a request's Signature Version 4 the way AWS does, from the secret of the key it names, so
// that a wrong secret key is refused as AWS refuses it (SignatureDoesNotMatch) and not served as the key's account.
// The algorithm is the one AWS documents ("Create a signed AWS API request", AWS IAM user guide, Signature Version 4):
//
//	CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//	StringToSign     = "AWS4-HMAC-SHA256" \n X-Amz-Date \n Scope \n hex(SHA256(CanonicalRequest))
//	SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request")
//	Signature        = hex(HMAC(SigningKey, StringToSign))
//
// The canonical URI is the request's path as sent (every service the simulator serves is one whose path the clients
// encode once and AWS checks as sent); HashedPayload is X-Amz-Content-Sha256 when the client sent it, else the
// SHA-256 of the body. It reports whether the signature matches; a header it cannot parse does not match.
func verifySignature(r *http.Request, body []byte, secret string) bool {
	auth := r.Header.Get("Authorization")
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(auth, "AWS4-HMAC-SHA256"), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok {
			fields[k] = v
		}
	}
	credential, signed, signature := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	scopeParts := strings.SplitN(credential, "/", 2)
	date := r.Header.Get("X-Amz-Date")
	if len(scopeParts) != 2 || signed == "" || signature == "" || date == "" {
		return false
	}
	scope := scopeParts[1] // date/region/service/aws4_request
	sp := strings.Split(scope, "/")
	if len(sp) != 4 {
		return false
	}
	var canonHeaders strings.Builder
	for _, name := range strings.Split(signed, ";") {
		var values []string
		if name == "host" {
			values = []string{r.Host}
		} else {
			values = r.Header.Values(http.CanonicalHeaderKey(name))
		}
		for i, v := range values {
			values[i] = strings.Join(strings.Fields(v), " ")
		}
		canonHeaders.WriteString(name + ":" + strings.Join(values, ",") + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	canonical := strings.Join([]string{r.Method, path, canonicalQuery(r.URL.Query()), canonHeaders.String(), signed, payload}, "\n")
	crHash := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])
	key := hmacSHA256([]byte("AWS4"+secret), sp[0])
	key = hmacSHA256(key, sp[1])
	key = hmacSHA256(key, sp[2])
	key = hmacSHA256(key, "aws4_request")
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	return hmac.Equal([]byte(want), []byte(signature))
}

// canonicalQuery sorts the query's parameters by name, then value, each URI-encoded as SigV4 asks (RFC 3986
// unreserved characters kept, everything else %XX, space as %20).
func canonicalQuery(q url.Values) string {
	var pairs []string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, sigEscape(k)+"="+sigEscape(v))
		}
	}
	sort.Strings(pairs)
	return strings.Join(pairs, "&")
}

func sigEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}
