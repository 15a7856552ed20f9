package transport

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// wellFormedQuery refuses a request whose query string cannot be read as name=value pairs
// joined by "&", saying what to write instead; the gateway would refuse it with Go's URL
// parser's words, and r.URL.Query() silently drops what it cannot read.
func (h httpRefusals) wellFormedQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			if _, err := url.ParseQuery(r.URL.RawQuery); err != nil {
				h.refuse(w, r, malformedQuery(r.URL.RawQuery, err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// malformedQuery is the refusal of a query string url.ParseQuery refused with err.
func malformedQuery(rawQuery string, err error) *rejection.Error {
	var escape url.EscapeError
	switch {
	case errors.As(err, &escape):
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the query string has %q, which is not a URL escape (%% and two hex digits): write a literal %% as %%25", string(escape))
	case strings.Contains(rawQuery, ";"):
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
			"the query string separates parameters with \";\": separate them with \"&\", and write a literal ; as %%3B")
	}
	return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_INVALID_REQUEST,
		"the query string cannot be read: write it as name=value pairs joined by \"&\", each URL-encoded")
}
