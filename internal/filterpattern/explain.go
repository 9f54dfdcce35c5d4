package filterpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Explain says why a pattern does not match an event: the comparisons that fail, with the values the event has (for
// an || every branch's, for an && the first that fails). It returns nil when the pattern matches.
func Explain(n *Node, event any) []string {
	if Match(n, event) {
		return nil
	}
	switch {
	case n.Leaf != nil:
		return []string{explainLeaf(n.Leaf, event)}
	case n.And != nil:
		for _, k := range n.And {
			if !Match(k, event) {
				return Explain(k, event)
			}
		}
	default:
		var out []string
		for _, k := range n.Or {
			out = append(out, Explain(k, event)...)
		}
		return out
	}
	return nil
}

func explainLeaf(c *Comparison, event any) string {
	vals := lookupAll(event, splitPath(c.Selector))
	if len(vals) == 0 {
		return fmt.Sprintf("%s: the event has no $.%s", c, c.Selector)
	}
	var got []string
	for _, v := range vals {
		got = append(got, render(v))
	}
	return fmt.Sprintf("%s: the event has %s", c, strings.Join(got, ", "))
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

// Event is one decoded log event and where it came from (its position in the input, 1-based).
type Event struct {
	N     int
	Value any
}

// ReadEvents decodes log events: a JSON object (one event), a JSON array of events, a CloudTrail log file
// ({"Records": [...]}), or one JSON object per line. Anything else is an error naming the position.
func ReadEvents(r io.Reader, limit int64) ([]Event, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d bytes of events", limit)
	}
	trimmed := bytes.TrimSpace(data)
	var whole any
	if err := json.Unmarshal(trimmed, &whole); err == nil {
		switch x := whole.(type) {
		case []any:
			return numbered(x), nil
		case map[string]any:
			if recs, ok := x["Records"].([]any); ok {
				return numbered(recs), nil
			}
			return []Event{{N: 1, Value: x}}, nil
		}
		return nil, errors.New("want a JSON object, an array of objects, a CloudTrail log file or JSON lines")
	}
	var out []Event
	for i, line := range bytes.Split(trimmed, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, fmt.Errorf("line %d: not a JSON event: %v", i+1, err)
		}
		out = append(out, Event{N: len(out) + 1, Value: v})
	}
	return out, nil
}

func numbered(l []any) []Event {
	out := make([]Event, 0, len(l))
	for i, v := range l {
		out = append(out, Event{N: i + 1, Value: v})
	}
	return out
}
