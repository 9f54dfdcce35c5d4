package awssim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Smithy RPC v2 CBOR, the protocol CloudWatch's current models list first (botocore cloudwatch/2010-08-01
// service-2.json: "protocols": ["smithy-rpc-v2-cbor", "json", "query"]; aws-sdk-go-v2 service/cloudwatch uses
// rpcv2.NewCBOR). Requests are POST /service/{ServiceName}/operation/{Operation} with Content-Type application/cbor and
// the Smithy-Protocol: rpc-v2-cbor header; responses carry the same header; timestamps are CBOR tag 1 (epoch
// seconds); errors are a CBOR map with __type and message (smithy.io rpcv2Cbor protocol spec). CloudWatch is
// awsQueryCompatible, so errors also carry x-amzn-query-error: Code;Sender.
//
// The handlers speak JSON values (map[string]any); this file converts at the edges.

const rpcv2Prefix = "/service/"

// rpcv2Route splits /service/{svc}/operation/{op}.
func rpcv2Route(path string) (svc, op string, ok bool) {
	rest, ok := strings.CutPrefix(path, rpcv2Prefix)
	if !ok {
		return "", "", false
	}
	svc, op, ok = strings.Cut(rest, "/operation/")
	return svc, op, ok && svc != "" && op != "" && !strings.Contains(op, "/")
}

// cborToJSON turns a decoded CBOR value into the JSON value the handlers read.
func cborToJSON(v cbor.Value) (any, error) {
	switch t := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(t))
		for k, x := range t {
			j, err := cborToJSON(x)
			if err != nil {
				return nil, err
			}
			m[k] = j
		}
		return m, nil
	case cbor.List:
		l := make([]any, 0, len(t))
		for _, x := range t {
			j, err := cborToJSON(x)
			if err != nil {
				return nil, err
			}
			l = append(l, j)
		}
		return l, nil
	case cbor.String:
		return string(t), nil
	case cbor.Uint:
		return uint64(t), nil
	case cbor.NegInt:
		return -int64(t), nil
	case cbor.Float32:
		return float64(t), nil
	case cbor.Float64:
		return float64(t), nil
	case cbor.Bool:
		return bool(t), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case *cbor.Tag:
		if t.ID == 1 { // epoch-seconds timestamp
			return cborToJSON(t.Value)
		}
		return nil, fmt.Errorf("unsupported CBOR tag %d", t.ID)
	case cbor.Slice:
		return []byte(t), nil
	}
	return nil, fmt.Errorf("unsupported CBOR value %T", v)
}

// decodeCBORBody fills a call's JSON body from a CBOR request body.
func decodeCBORBody(body []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	if len(body) == 0 {
		return out, nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, err
	}
	j, err := cborToJSON(v)
	if err != nil {
		return nil, err
	}
	m, ok := j.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("request body is a CBOR %T, not a map", v)
	}
	for k, x := range m {
		b, err := json.Marshal(x)
		if err != nil {
			return nil, err
		}
		out[k] = b
	}
	return out, nil
}

// toCBOR turns a handler's result into CBOR: integers as (negative) unsigned integers, floats as float64, times as
// tag 1 epoch seconds.
func toCBOR(v any) cbor.Value {
	switch t := v.(type) {
	case nil:
		return &cbor.Nil{}
	case cbor.Value:
		return t
	case map[string]any:
		m := cbor.Map{}
		for k, x := range t {
			if x == nil {
				continue
			}
			m[k] = toCBOR(x)
		}
		return m
	case map[string]string:
		m := cbor.Map{}
		for k, x := range t {
			m[k] = cbor.String(x)
		}
		return m
	case []map[string]any:
		l := cbor.List{}
		for _, x := range t {
			l = append(l, toCBOR(x))
		}
		return l
	case []any:
		l := cbor.List{}
		for _, x := range t {
			l = append(l, toCBOR(x))
		}
		return l
	case []string:
		l := cbor.List{}
		for _, x := range t {
			l = append(l, cbor.String(x))
		}
		return l
	case string:
		return cbor.String(t)
	case bool:
		return cbor.Bool(t)
	case int:
		return intCBOR(int64(t))
	case int64:
		return intCBOR(t)
	case float64:
		return cbor.Float64(t)
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1000)}
	}
	// Anything else goes through JSON once.
	b, _ := json.Marshal(v)
	var x any
	_ = json.Unmarshal(b, &x)
	return toCBOR(normalizeNumbers(x))
}

func intCBOR(n int64) cbor.Value {
	if n < 0 {
		return cbor.NegInt(uint64(-n))
	}
	return cbor.Uint(uint64(n))
}

// normalizeNumbers turns whole float64s from encoding/json into ints.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = normalizeNumbers(x)
		}
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
	}
	return v
}

// jsonable renders times as awsJson epoch seconds before the JSON protocol writes a result.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = jsonable(x)
		}
		return m
	case []map[string]any:
		l := make([]any, 0, len(t))
		for _, x := range t {
			l = append(l, jsonable(x))
		}
		return l
	case []any:
		l := make([]any, 0, len(t))
		for _, x := range t {
			l = append(l, jsonable(x))
		}
		return l
	case time.Time:
		return epochSeconds(t)
	}
	return v
}

func writeCBOR(rw http.ResponseWriter, reqID string, status int, v any, queryErr string) {
	rw.Header().Set("Content-Type", "application/cbor")
	rw.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	rw.Header().Set("x-amzn-RequestId", reqID)
	if queryErr != "" {
		rw.Header().Set("x-amzn-query-error", queryErr)
	}
	rw.WriteHeader(status)
	if v == nil {
		v = map[string]any{}
	}
	_, _ = rw.Write(cbor.Encode(toCBOR(v)))
}
