package awssim

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Amazon S3, as much as reading a trail's delivery takes (the cost estimate before integrating a trail, issue 26):
// GetBucketLocation, ListObjectsV2 and GetObject, REST-XML with path-style addressing (the SDK's S3 endpoint rules use
// the path style for an IP-address endpoint such as the simulator's loopback one). Shapes: botocore s3/2006-03-01
// service-2.json; errors are S3's XML <Error> document. A trail's past delivery (scenario s3_delivery) is served as
// CloudTrail writes it (CloudTrail User Guide, "Finding your CloudTrail log files"): gzip-compressed .json.gz files of
// a {"Records": [...]} object under [prefix/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/, named
// <account>_CloudTrail_<region>_<YYYYMMDD>T<hhmm>Z_<random>.json.gz.

// s3Bucket is a bucket with a trail's delivered files.
type s3Bucket struct {
	name, account, region string
	kms                   bool
	objects               []*s3Object // sorted by key
}

type s3Object struct {
	key      string
	body     []byte // gzip
	plain    int    // uncompressed size
	modified time.Time
}

// recordsPerFile is how many records the simulator puts in one delivered file.
const recordsPerFile = 100

// s3Delivery builds the files trail t delivered on the days before now0 into its bucket.
func (w *world) s3Delivery(a *account, t *trail, d *S3Delivery, now0 time.Time) error {
	if t.s3Bucket == "" {
		return fmt.Errorf("line %d: trail %s: s3_delivery needs s3_bucket", d.Line, t.name)
	}
	b := w.s3buckets[t.s3Bucket]
	if b == nil {
		b = &s3Bucket{name: t.s3Bucket, account: a.id, region: t.home}
		if d.BucketAccount != "" {
			b.account = d.BucketAccount
		}
		if d.BucketRegion != "" {
			b.region = d.BucketRegion
		}
		w.s3buckets[t.s3Bucket] = b
	}
	b.kms = b.kms || d.KMS
	regions := []string{t.home}
	if t.multi {
		regions = a.regionList
	}
	prefix := ""
	if t.s3Prefix != "" {
		prefix = strings.TrimSuffix(t.s3Prefix, "/") + "/"
	}
	yesterday := now0.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	rng := rand.New(rand.NewSource(int64(len(t.arn)) + now0.Unix()))
	for i, n := range d.EventsPerDay {
		if n < 0 {
			return fmt.Errorf("line %d: trail %s: s3_delivery events_per_day: %d is negative", d.Line, t.name, n)
		}
		day := yesterday.AddDate(0, 0, i-len(d.EventsPerDay)+1)
		for ri, region := range regions {
			events := n / len(regions)
			if ri < n%len(regions) {
				events++
			}
			// The day's files spread over the day: CloudTrail delivers "about every 5 minutes" (CloudTrail User
			// Guide, "How CloudTrail works"), and a busy day's files stay under its own date prefix (field trial: at
			// one file every 5 minutes, a day of more than 288 files spilled into the next days' prefixes).
			files := (events + recordsPerFile - 1) / recordsPerFile
			for f := 0; events > 0; f++ {
				k := min(events, recordsPerFile)
				events -= k
				at := day.Add(time.Duration(f) * 24 * time.Hour / time.Duration(files))
				key := fmt.Sprintf("%sAWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_%s.json.gz", prefix, a.id, region, at.Format("2006/01/02"),
					a.id, region, at.Format("20060102T1504"), randomName(rng))
				body, plain := deliveredFile(rng.Int63(), a.id, region, at, k)
				b.objects = append(b.objects, &s3Object{key: key, body: body, plain: plain, modified: at.Add(5 * time.Minute)})
			}
		}
	}
	sort.Slice(b.objects, func(i, j int) bool { return b.objects[i].key < b.objects[j].key })
	return nil
}

func randomName(rng *rand.Rand) string {
	const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	for i := range b {
		b[i] = chars[rng.Intn(len(chars))]
	}
	return string(b)
}

// builtFiles keeps the delivered files built in this process, by what decides their bytes (the file's seed, account,
// region, time and record count), up to builtFilesMax bytes: tests serve the same scenario many times, and building
// its files (JSON, then gzip) was most of such a test's time under -race (issue 22: 18 s a serve of the cost
// scenario). The bytes are only read once built.
var (
	builtFiles     sync.Map // builtKey -> builtFile
	builtFilesSize atomic.Int64
)

const builtFilesMax = 64 << 20

type builtKey struct {
	seed         int64
	acct, region string
	at           int64
	n            int
}

type builtFile struct {
	body  []byte
	plain int
}

// deliveredFile is cloudTrailFile with its own random source (seed), built once a process.
func deliveredFile(seed int64, acct, region string, at time.Time, n int) ([]byte, int) {
	k := builtKey{seed, acct, region, at.UnixNano(), n}
	if f, ok := builtFiles.Load(k); ok {
		return f.(builtFile).body, f.(builtFile).plain
	}
	body, plain := cloudTrailFile(rand.New(rand.NewSource(seed)), acct, region, at, n)
	body = body[:len(body):len(body)] // shared between servers: an append copies
	if builtFilesSize.Load() < builtFilesMax {
		if f, loaded := builtFiles.LoadOrStore(k, builtFile{body, plain}); loaded {
			return f.(builtFile).body, f.(builtFile).plain
		}
		builtFilesSize.Add(int64(len(body)))
	}
	return body, plain
}

// cloudTrailFile is one delivered file of n management event records: its gzip bytes and its uncompressed size. The
// records carry what real ones do (identity, request ids, addresses, agents, parameters), with the variety that
// decides how well they compress.
func cloudTrailFile(rng *rand.Rand, acct, region string, at time.Time, n int) ([]byte, int) {
	names := []struct{ source, name string }{{"ec2.amazonaws.com", "DescribeInstances"}, {"sts.amazonaws.com", "AssumeRole"},
		{"s3.amazonaws.com", "ListBuckets"}, {"iam.amazonaws.com", "GetRole"}, {"kms.amazonaws.com", "Decrypt"},
		{"logs.amazonaws.com", "CreateLogStream"}, {"lambda.amazonaws.com", "ListFunctions20150331"}, {"ec2.amazonaws.com", "CreateTags"}}
	agents := []string{"aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#ec2.describe-instances",
		"aws-sdk-go-v2/1.30.3 ua/2.0 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3",
		"Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.144",
		"console.amazonaws.com"}
	uuid := func() string {
		b := make([]byte, 16)
		rng.Read(b)
		h := hex.EncodeToString(b)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	records := make([]map[string]any, n)
	for i := range records {
		e := names[rng.Intn(len(names))]
		role := fmt.Sprintf("role-%d", rng.Intn(20))
		records[i] = map[string]any{
			"eventVersion": "1.10",
			"userIdentity": map[string]any{"type": "AssumedRole", "principalId": fmt.Sprintf("AROA%017X", rng.Int63()) + ":session-" + strconv.Itoa(rng.Intn(1000)),
				"arn": "arn:aws:sts::" + acct + ":assumed-role/" + role + "/session-" + strconv.Itoa(rng.Intn(1000)), "accountId": acct,
				"accessKeyId": "ASIA" + strings.ToUpper(hex.EncodeToString([]byte(uuid()))[:16]),
				"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "principalId": "AROA" + strings.ToUpper(role),
					"arn": "arn:aws:iam::" + acct + ":role/" + role, "accountId": acct, "userName": role},
					"attributes": map[string]any{"creationDate": at.Add(-time.Duration(rng.Intn(3600)) * time.Second).UTC().Format(time.RFC3339), "mfaAuthenticated": "false"}}},
			"eventTime": at.Add(time.Duration(rng.Intn(300)) * time.Second).UTC().Format(time.RFC3339), "eventSource": e.source, "eventName": e.name,
			"awsRegion": region, "sourceIPAddress": fmt.Sprintf("%d.%d.%d.%d", 3+rng.Intn(50), rng.Intn(256), rng.Intn(256), rng.Intn(256)),
			"userAgent":         agents[rng.Intn(len(agents))],
			"requestParameters": map[string]any{"maxResults": 1000, "filterSet": map[string]any{"items": []map[string]any{{"name": "tag:team", "valueSet": map[string]any{"items": []map[string]any{{"value": fmt.Sprintf("team-%d", rng.Intn(40))}}}}}}},
			"responseElements":  nil, "requestID": uuid(), "eventID": uuid(), "readOnly": rng.Intn(10) < 8, "eventType": "AwsApiCall",
			"managementEvent": true, "recipientAccountId": acct, "eventCategory": "Management",
			"tlsDetails": map[string]any{"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": strings.SplitN(e.source, ".", 2)[0] + "." + region + ".amazonaws.com"},
		}
	}
	plain, _ := json.Marshal(map[string]any{"Records": records})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(plain)
	zw.Close()
	return buf.Bytes(), len(plain)
}

// s3Service is S3 as the router and the counters see it.
var s3Service = &service{name: "s3", authCode: "InvalidAccessKeyId", authStatus: 403, validationCode: "InvalidArgument",
	internalCode: "InternalError", throttleCode: "SlowDown", throttleStatus: 503,
	ops:      map[string]handler{"GetBucketLocation": nil, "ListObjectsV2": nil, "GetObject": nil},
	resource: func(c *call) string { return c.resName }}

// isS3 reports whether a request is signed for S3 (its credential scope's service).
func isS3(r *http.Request) bool {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return false
	}
	scope := strings.Split(strings.SplitN(rest, ",", 2)[0], "/")
	return len(scope) == 5 && scope[3] == "s3"
}

// serveS3 answers one S3 request: GET /<bucket>?location, GET /<bucket>?list-type=2, GET /<bucket>/<key>.
func (s *Server) serveS3(rw http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(path, "/")
	q := r.URL.Query()
	c := &call{ctx: r.Context(), svc: s3Service, reqID: reqID, form: q, invocation: r.Header.Get("Amz-Sdk-Invocation-Id")}
	switch {
	case r.Method != http.MethodGet:
		c.op = r.Method
	case key == "" && q.Has("location"):
		c.op = "GetBucketLocation"
	case key == "" && q.Get("list-type") == "2":
		c.op = "ListObjectsV2"
	case key != "":
		c.op = "GetObject"
	}
	c.resName = bucket
	if s.observe != nil {
		rec := &recordingWriter{ResponseWriter: rw, status: 200}
		rw = rec
		defer func() {
			if c.op != "GetObject" { // its body is the object, not a shape
				s.observe("s3", c.op, rec.status, rec.body.Bytes())
			} else {
				s.observe("s3", c.op, rec.status, nil)
			}
		}()
	}
	if aerr := s.authenticate(r, c, body); aerr != nil {
		s.counters.add(c, aerr.code)
		writeS3Error(rw, reqID, aerr)
		return
	}
	if c.op == "" || c.op == r.Method && r.Method != http.MethodGet {
		aerr := errf(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
		s.counters.add(c, aerr.code)
		writeS3Error(rw, reqID, aerr)
		return
	}
	if aerr := s.preflight(c); aerr != nil {
		s.counters.add(c, aerr.code)
		writeS3Error(rw, reqID, aerr)
		return
	}
	s.w.mu.Lock()
	b := s.w.s3buckets[bucket]
	var aerr *apiError
	switch {
	case b == nil:
		aerr = errf(404, "NoSuchBucket", "The specified bucket does not exist")
	case b.account != c.cred.account:
		// No bucket policy is modelled: another account's bucket refuses the reader.
		aerr = errf(403, "AccessDenied", "Access Denied")
	}
	var out []byte
	var obj *s3Object
	if aerr == nil {
		switch c.op {
		case "GetBucketLocation":
			loc := b.region
			if loc == "us-east-1" {
				loc = "" // "Buckets in Region us-east-1 have a LocationConstraint of null" (S3 API reference)
			}
			out = []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` + loc + `</LocationConstraint>`)
		case "ListObjectsV2":
			out, aerr = listObjectsV2(b, q)
		case "GetObject":
			i := sort.Search(len(b.objects), func(i int) bool { return b.objects[i].key >= key })
			switch {
			case i == len(b.objects) || b.objects[i].key != key:
				aerr = errf(404, "NoSuchKey", "The specified key does not exist.")
			case b.kms:
				aerr = errf(403, "AccessDenied", "User: %s is not authorized to perform: kms:Decrypt on the resource associated with this ciphertext because no identity-based policy allows the kms:Decrypt action", c.cred.arn)
			default:
				obj = b.objects[i]
			}
		}
	}
	s.w.mu.Unlock()
	if aerr != nil {
		s.counters.add(c, aerr.code)
		writeS3Error(rw, reqID, aerr)
		return
	}
	s.counters.add(c, "")
	rw.Header().Set("x-amz-request-id", reqID)
	if obj != nil {
		sum := md5.Sum(obj.body)
		rw.Header().Set("Content-Type", "application/x-gzip")
		rw.Header().Set("Content-Length", strconv.Itoa(len(obj.body)))
		rw.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		rw.Header().Set("Last-Modified", obj.modified.UTC().Format(http.TimeFormat))
		rw.WriteHeader(200)
		rw.Write(obj.body)
		return
	}
	rw.Header().Set("Content-Type", "application/xml")
	rw.WriteHeader(200)
	rw.Write(out)
}

// listObjectsV2 lists a bucket's keys under prefix, max-keys (default and at most 1000) at a time, after
// continuation-token or start-after.
func listObjectsV2(b *s3Bucket, q url.Values) ([]byte, *apiError) {
	prefix := q.Get("prefix")
	max := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, errf(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
		}
		max = min(n, 1000)
	}
	after := q.Get("start-after")
	if tok := q.Get("continuation-token"); tok != "" {
		k, err := url.QueryUnescape(tok)
		if err != nil {
			return nil, errf(400, "InvalidArgument", "The continuation token provided is incorrect")
		}
		after = k
	}
	i := sort.Search(len(b.objects), func(i int) bool { return b.objects[i].key > after && b.objects[i].key >= prefix })
	var x strings.Builder
	n, last, truncated := 0, "", false
	for ; i < len(b.objects) && strings.HasPrefix(b.objects[i].key, prefix); i++ {
		if n == max {
			truncated = true
			break
		}
		o := b.objects[i]
		sum := md5.Sum(o.body)
		fmt.Fprintf(&x, "<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>&quot;%s&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>",
			xmlEscape(o.key), o.modified.UTC().Format("2006-01-02T15:04:05.000Z"), hex.EncodeToString(sum[:]), len(o.body))
		n++
		last = o.key
	}
	var out strings.Builder
	fmt.Fprintf(&out, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%t</IsTruncated>`,
		xmlEscape(b.name), xmlEscape(prefix), n, max, truncated)
	out.WriteString(x.String())
	if truncated {
		fmt.Fprintf(&out, "<NextContinuationToken>%s</NextContinuationToken>", xmlEscape(url.QueryEscape(last)))
	}
	out.WriteString("</ListBucketResult>")
	return []byte(out.String()), nil
}

func writeS3Error(rw http.ResponseWriter, reqID string, e *apiError) {
	rw.Header().Set("Content-Type", "application/xml")
	rw.Header().Set("x-amz-request-id", reqID)
	rw.WriteHeader(e.status)
	fmt.Fprintf(rw, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`, xmlEscape(e.code), xmlEscape(e.msg), reqID)
}
