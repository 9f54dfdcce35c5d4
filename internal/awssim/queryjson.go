package awssim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudWatch's awsQuery form (its model's third protocol, for older clients): the same handlers, with the form turned
// into the JSON body they read and their result rendered as query XML. Form keys follow the awsQuery serialization
// (botocore's QuerySerializer): a list member is Name.member.N, a structure member in a list Name.member.N.Field.
// Values stay strings; call.decode reads numbers and booleans from strings.

// formToJSON turns query parameters into a JSON body.
func formToJSON(form map[string][]string) map[string]json.RawMessage {
	root := map[string]any{}
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "Action" && k != "Version" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if len(form[k]) == 0 {
			continue
		}
		setPath(root, strings.Split(k, "."), form[k][0])
	}
	out := map[string]json.RawMessage{}
	for k, v := range root {
		b, _ := json.Marshal(listify(v))
		out[k] = b
	}
	return out
}

// setPath stores a value under a dotted query key; "member" levels become maps keyed by index, made lists later.
func setPath(m map[string]any, path []string, v string) {
	if len(path) == 1 {
		m[path[0]] = v
		return
	}
	next, ok := m[path[0]].(map[string]any)
	if !ok {
		next = map[string]any{}
		m[path[0]] = next
	}
	if path[1] == "member" && len(path) >= 3 {
		idx := "\x00" + path[2] // marks an index
		item, ok := next[idx].(map[string]any)
		if len(path) == 3 {
			next[idx] = v
			return
		}
		if !ok {
			item = map[string]any{}
			next[idx] = item
		}
		setPath(item, path[3:], v)
		return
	}
	setPath(next, path[1:], v)
}

// listify turns maps whose keys are all indexes into lists, in index order.
func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	indexed := len(m) > 0
	for k := range m {
		if !strings.HasPrefix(k, "\x00") {
			indexed = false
		}
	}
	if indexed {
		type kv struct {
			i int
			v any
		}
		var items []kv
		for k, x := range m {
			i, _ := strconv.Atoi(k[1:])
			items = append(items, kv{i, listify(x)})
		}
		sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
		l := make([]any, 0, len(items))
		for _, it := range items {
			l = append(l, it.v)
		}
		return l
	}
	for k, x := range m {
		m[k] = listify(x)
	}
	return m
}

// writeQueryResult renders a handler's JSON result as query XML: <OpResponse><OpResult>...</OpResult>.
func writeQueryResult(rw http.ResponseWriter, c *call, out any, xmlns string) {
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="%s"><%sResult>`, c.op, xmlns, c.op)
	if m, ok := out.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			writeXMLValue(&b, k, m[k])
		}
	}
	fmt.Fprintf(&b, `</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, c.op, c.reqID, c.op)
	rw.Header().Set("Content-Type", "text/xml")
	rw.Header().Set("x-amzn-RequestId", c.reqID)
	rw.WriteHeader(200)
	_, _ = rw.Write([]byte(b.String()))
}

func writeXMLValue(b *strings.Builder, tag string, v any) {
	switch x := v.(type) {
	case nil:
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<" + tag + ">")
		for _, k := range keys {
			writeXMLValue(b, k, x[k])
		}
		b.WriteString("</" + tag + ">")
	case []map[string]any:
		b.WriteString("<" + tag + ">")
		for _, e := range x {
			writeXMLValue(b, "member", e)
		}
		b.WriteString("</" + tag + ">")
	case []string:
		b.WriteString("<" + tag + ">")
		for _, e := range x {
			writeXMLValue(b, "member", e)
		}
		b.WriteString("</" + tag + ">")
	case []any:
		b.WriteString("<" + tag + ">")
		for _, e := range x {
			writeXMLValue(b, "member", e)
		}
		b.WriteString("</" + tag + ">")
	case time.Time:
		b.WriteString("<" + tag + ">" + x.UTC().Format("2006-01-02T15:04:05.000Z") + "</" + tag + ">")
	case float64:
		b.WriteString("<" + tag + ">" + strconv.FormatFloat(x, 'f', -1, 64) + "</" + tag + ">")
	default:
		b.WriteString("<" + tag + ">" + xmlEscape(fmt.Sprint(x)) + "</" + tag + ">")
	}
}
