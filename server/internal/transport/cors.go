package transport

import (
	"net/http"

	"github.com/rs/cors"
)

// allowOrigins lets browser pages from origins (or any, with "*") call the HTTP API: it answers
// CORS preflights itself, before authentication (a browser sends no token with one), and marks
// the answers to those origins readable. Without origins it returns next as it is, and browsers
// keep the API to pages of its own origin.
func allowOrigins(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost},
		// What a page sends: its token, a JSON body, and the request id and trace context it may
		// carry on.
		AllowedHeaders: []string{"Authorization", "Content-Type", requestIDHeader, "Traceparent", "Tracestate", "Baggage"},
		ExposedHeaders: []string{requestIDHeader},
		MaxAge:         600,
	}).Handler(next)
}
