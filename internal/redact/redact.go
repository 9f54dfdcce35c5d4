// Package redact keeps secrets out of what trailwatch prints and writes: errors, logs, journals.
package redact

import "net/url"

// URL keeps a URL's scheme and host: its path and query may hold a secret (a Slack or Teams webhook's token, a
// pre-signed query).
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(a URL that does not parse)"
	}
	return u.Scheme + "://" + u.Host + "/..."
}
