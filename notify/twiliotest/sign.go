// Package twiliotest is a fake of Twilio's REST API for messages, served by
// httptest, that the real twilio-go client talks to; and the webhook
// signature, computed exactly as Twilio computes it, for tests that post to
// the service's own /twilio/* routes.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
)

// Sign returns the X-Twilio-Signature Twilio sends with a webhook to url
// (the full URL it was configured with, query included) carrying the POST
// form params: base64 of HMAC-SHA1, keyed with the auth token, over the URL
// followed by every parameter name and value, names sorted. For a GET
// webhook pass nil params.
func Sign(authToken, url string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(url))
	for _, k := range keys {
		for _, v := range params[k] {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
