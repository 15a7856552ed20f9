package inspector

import "net/http"

// contentSecurityPolicy lets the page load only its own scripts, styles and images, and call only
// its own origin; no inline script or style runs, nothing may frame it, and no form is sent
// anywhere. Webhook bodies are attacker-controlled: should one ever reach the page as markup, it
// still could not run or load anything.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// setSecurityHeaders sets the headers every asset is served with.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	// Revalidated on each load, so a new hooknormd's page is never mixed with an old one's.
	h.Set("Cache-Control", "no-cache")
}
