// Package verify decides whether a delivery really comes from its provider, before anything is
// stored: it checks the provider's HMAC-SHA256 signature on the exact raw body, with any of the
// configured secrets (so secrets can be rotated), and that the signed timestamp is recent. It
// knows nothing of gRPC.
package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// Verifier checks one delivery: the exact raw body and the provider's headers (names in lower
// case). It returns nil to accept it, or a rejection.Error saying why not.
type Verifier interface {
	Verify(source hooknormv1.Source, headers map[string]string, body []byte) error
}

// AcceptAll accepts every delivery, signed or not.
type AcceptAll struct{}

// Verify accepts the delivery.
func (AcceptAll) Verify(hooknormv1.Source, map[string]string, []byte) error { return nil }

// scheme is how one provider signs its deliveries.
type scheme struct {
	name            string
	signatureHeader string
	timestampHeader string
	separator       string        // between the timestamp and the body in the signed message
	unit            time.Duration // of the timestamp header
	window          time.Duration // how far the timestamp may be from now, either way
	secretVariable  string        // where the operator sets the secrets, for messages
}

// The providers' schemes, as documented: ClickFunnels signs "<seconds>.<body>" and allows 600 s;
// Webflow signs "<milliseconds>:<body>" and allows 5 minutes.
var schemes = map[hooknormv1.Source]scheme{
	hooknormv1.Source_SOURCE_CLICKFUNNELS: {
		name: "ClickFunnels", signatureHeader: "x-webhook-clickfunnels-signature", timestampHeader: "x-webhook-clickfunnels-timestamp",
		separator: ".", unit: time.Second, window: 600 * time.Second, secretVariable: "HOOKNORM_CLICKFUNNELS_SECRET",
	},
	hooknormv1.Source_SOURCE_WEBFLOW: {
		name: "Webflow", signatureHeader: "x-webflow-signature", timestampHeader: "x-webflow-timestamp",
		separator: ":", unit: time.Millisecond, window: 5 * time.Minute, secretVariable: "HOOKNORM_WEBFLOW_SECRET",
	},
}

// Signatures verifies provider signatures. A provider with no secret is accepted unsigned: the
// server decides at start-up whether that is allowed.
type Signatures struct {
	secrets map[hooknormv1.Source][][]byte
	now     func() time.Time
}

// NewSignatures returns a verifier with each provider's secrets (any of them may have signed a
// delivery). now is the clock; nil means time.Now.
func NewSignatures(secrets map[hooknormv1.Source][]string, now func() time.Time) *Signatures {
	s := &Signatures{secrets: map[hooknormv1.Source][][]byte{}, now: now}
	if s.now == nil {
		s.now = time.Now
	}
	for source, list := range secrets {
		for _, secret := range list {
			if secret = strings.TrimSpace(secret); secret != "" {
				s.secrets[source] = append(s.secrets[source], []byte(secret))
			}
		}
	}
	return s
}

// Signed reports whether deliveries of source must be signed.
func (s *Signatures) Signed(source hooknormv1.Source) bool {
	return len(s.secrets[source]) > 0
}

// Verify checks the delivery's signature and timestamp when its provider has secrets.
func (s *Signatures) Verify(source hooknormv1.Source, headers map[string]string, body []byte) error {
	secrets := s.secrets[source]
	sch, known := schemes[source]
	if len(secrets) == 0 || !known {
		return nil
	}
	signature, timestamp := strings.TrimSpace(headers[sch.signatureHeader]), strings.TrimSpace(headers[sch.timestampHeader])
	if signature == "" || timestamp == "" {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING,
			"the %s delivery is not signed: this hooknormd requires the %s and %s headers, which %s sends; "+
				"to send one yourself, sign \"<timestamp>%s<body>\" with HMAC-SHA256 and the webhook's secret",
			sch.name, sch.signatureHeader, sch.timestampHeader, sch.name, sch.separator)
	}
	ticks, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || ticks <= 0 {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MALFORMED,
			"the %s header is not a Unix time in %s: give the time of signing, such as %d", sch.timestampHeader, unitName(sch.unit),
			time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC).UnixNano()/int64(sch.unit))
	}
	given, err := hex.DecodeString(signature)
	if err != nil || len(given) != sha256.Size {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MALFORMED,
			"the %s header is not a hex HMAC-SHA256: give the signature as 64 hex digits", sch.signatureHeader)
	}
	signedAt := farFuture // a timestamp too large to convert is out of any window
	if ticks <= int64(maxTicks/sch.unit) {
		signedAt = time.Unix(0, 0).Add(time.Duration(ticks) * sch.unit)
	}
	if skew := s.now().Sub(signedAt).Abs(); skew > sch.window {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_EXPIRED,
			"the %s delivery was signed at %s, more than %s from now: refused as a possible replay; sign it again with the current time "+
				"(and check the clocks of the sender and of hooknormd)",
			sch.name, signedAt.UTC().Format(time.RFC3339), sch.window)
	}
	match := false
	for _, secret := range secrets {
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(timestamp))
		mac.Write([]byte(sch.separator))
		mac.Write(body)
		// Every secret is tried, so the time taken does not say which one matched.
		match = hmac.Equal(mac.Sum(nil), given) || match
	}
	if !match {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH,
			"the %s signature matches none of the secrets set in %s: the body, the timestamp or the secret differs from what was signed",
			sch.name, sch.secretVariable)
	}
	return nil
}

// maxTicks bounds timestamps so converting them cannot overflow.
const maxTicks = time.Duration(1<<62 - 1)

// farFuture stands for a timestamp beyond what a time.Duration measures from the epoch.
var farFuture = time.Unix(1<<40, 0)

func unitName(unit time.Duration) string {
	if unit == time.Millisecond {
		return "milliseconds"
	}
	return "seconds"
}
