// Package verify decides whether a delivery really comes from its provider, before anything is
// stored: it checks the provider's HMAC-SHA256 signature on the exact raw body, with any of the
// configured secrets (so secrets can be rotated), and that the signed timestamp is recent. With a
// secrets file, each tenant (a ClickFunnels workspace, a Webflow site) has secrets of its own: the
// tenant is read from the raw delivery before anything else of it is, and only that tenant's
// secrets are tried. It knows nothing of gRPC.
package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// Delivery is what verification reads of one delivery.
type Delivery struct {
	// Source is the provider the delivery claims to come from.
	Source hooknormv1.Source
	// Headers are the provider's headers, names in lower case.
	Headers map[string]string
	// Body is the exact raw body.
	Body []byte
	// Tenant is the tenant given outside the body (the webhook URL's tenant parameter), or "".
	Tenant string
}

// Verdict says for which tenant a delivery was verified.
type Verdict struct {
	// Tenant is the tenant read from the delivery before verification ("" when it names none).
	Tenant string
	// Bound reports that the delivery was verified for Tenant alone: the event it makes must
	// then have Tenant as its tenant, or it must be refused.
	Bound bool
	// Listed reports that Tenant has an entry in the secrets file, so that it may name a
	// metric's label without the labels growing with what deliveries say.
	Listed bool
}

// Verifier checks one delivery. It returns the verdict with nil to accept it, or with a
// rejection.Error saying why not; the verdict names the tenant whenever it was read.
type Verifier interface {
	Verify(d Delivery) (Verdict, error)
}

// AcceptAll accepts every delivery, signed or not.
type AcceptAll struct{}

// Verify accepts the delivery.
func (AcceptAll) Verify(Delivery) (Verdict, error) { return Verdict{}, nil }

// scheme is how one provider signs its deliveries.
type scheme struct {
	name            string
	signatureHeader string
	timestampHeader string
	separator       string        // between the timestamp and the body in the signed message
	unit            time.Duration // of the timestamp header
	window          time.Duration // how far the timestamp may be from now, either way
	secretVariable  string        // where the operator sets the secrets, for messages
	tenantWord      string        // what a tenant of the provider is called, for messages
}

// The providers' schemes, as documented: ClickFunnels signs "<seconds>.<body>" and allows 600 s;
// Webflow signs "<milliseconds>:<body>" and allows 5 minutes.
var schemes = map[hooknormv1.Source]scheme{
	hooknormv1.Source_SOURCE_CLICKFUNNELS: {
		name: "ClickFunnels", signatureHeader: "x-webhook-clickfunnels-signature", timestampHeader: "x-webhook-clickfunnels-timestamp",
		separator: ".", unit: time.Second, window: 600 * time.Second, secretVariable: "HOOKNORM_CLICKFUNNELS_SECRET",
		tenantWord: "workspace",
	},
	hooknormv1.Source_SOURCE_WEBFLOW: {
		name: "Webflow", signatureHeader: "x-webflow-signature", timestampHeader: "x-webflow-timestamp",
		separator: ":", unit: time.Millisecond, window: 5 * time.Minute, secretVariable: "HOOKNORM_WEBFLOW_SECRET",
		tenantWord: "site",
	},
}

// Signatures verifies provider signatures. Without a secrets file, a provider with no secret is
// accepted unsigned: the server decides at start-up whether that is allowed. With one, see
// UseSecretsFile.
type Signatures struct {
	secrets map[hooknormv1.Source][][]byte
	now     func() time.Time
	file    *SecretsFile
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

// UseSecretsFile has the verifier read each delivery's tenant and verify it with the secrets of
// that tenant in file alone. A tenant without an entry is verified with the provider's secrets
// given to NewSignatures, and refused when there are none; a tenant marked unsigned is accepted
// without a signature. It returns s.
func (s *Signatures) UseSecretsFile(file *SecretsFile) *Signatures {
	s.file = file
	return s
}

// Signed reports whether deliveries of source must be signed.
func (s *Signatures) Signed(source hooknormv1.Source) bool {
	return len(s.secrets[source]) > 0 || s.file != nil
}

// Verify checks the delivery's signature and timestamp with the secrets that apply to it.
func (s *Signatures) Verify(d Delivery) (Verdict, error) {
	sch, known := schemes[d.Source]
	if !known {
		return Verdict{}, nil
	}
	if s.file == nil {
		secrets := s.secrets[d.Source]
		if len(secrets) == 0 {
			return Verdict{}, nil
		}
		return Verdict{}, s.check(sch, d, secrets, providerWide(sch, ""))
	}
	tenant, err := TenantOf(d.Source, d.Body, d.Tenant)
	if err != nil {
		return Verdict{}, err
	}
	file := s.file.Current()
	verdict := Verdict{Tenant: tenant, Bound: true}
	entry, listed := file.entry(d.Source, tenant)
	verdict.Listed = listed
	switch {
	case listed && entry.unsigned:
		return verdict, nil
	case listed:
		return verdict, s.check(sch, d, entry.secrets, ownSecrets(sch, tenant, file.path))
	case len(s.secrets[d.Source]) > 0:
		return verdict, s.check(sch, d, s.secrets[d.Source], providerWide(sch, tenant))
	default:
		return verdict, s.check(sch, d, nil, noSecrets(sch, tenant, file.path))
	}
}

// tried says, in a refusal, whose secrets were tried, never the secrets: "the secrets of
// workspace "42" in the secrets file /etc/hooknorm/secrets.json".
type tried string

// ownSecrets are a tenant's own secrets in the secrets file.
func ownSecrets(sch scheme, tenant, path string) tried {
	return tried(fmt.Sprintf("the secrets of %s %q in the secrets file %s", sch.tenantWord, tenant, path))
}

// providerWide are the provider's secrets, used for a tenant without an entry (tenant may be
// "" when the delivery names none, or when no secrets file is in use).
func providerWide(sch scheme, tenant string) tried {
	if tenant == "" {
		return tried(fmt.Sprintf("the secrets set in %s", sch.secretVariable))
	}
	return tried(fmt.Sprintf("the secrets set in %s (%s %q has no entry in the secrets file)", sch.secretVariable, sch.tenantWord, tenant))
}

// noSecrets says why a tenant without an entry has no secrets: the provider has none either.
// check words its refusal for it, since no signature can match.
func noSecrets(sch scheme, tenant, path string) tried {
	who := fmt.Sprintf("%s %q has", sch.tenantWord, tenant)
	if tenant == "" {
		who = "the delivery names no " + sch.tenantWord + " (in its body or the URL's ?tenant=) and so has"
	}
	return tried(fmt.Sprintf("%s no entry in the secrets file %s, and %s is not set; "+
		"add the %s to the secrets file (with its secrets, or \"unsigned\": true)", who, path, sch.secretVariable, sch.tenantWord))
}

// check verifies the delivery's signature and timestamp with secrets; an empty list refuses
// every delivery, signed or not. whose says whose secrets they are.
func (s *Signatures) check(sch scheme, d Delivery, secrets [][]byte, whose tried) error {
	headers, body := d.Headers, d.Body
	signature, timestamp := strings.TrimSpace(headers[sch.signatureHeader]), strings.TrimSpace(headers[sch.timestampHeader])
	if len(secrets) == 0 {
		// No signature can be right: say why, whatever the headers hold, with the reason they
		// would have got.
		reason := hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISMATCH
		if signature == "" || timestamp == "" {
			reason = hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING
		}
		return rejection.New(reason, "no secret can verify this %s delivery: %s", sch.name, whose)
	}
	if signature == "" || timestamp == "" {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_SIGNATURE_MISSING,
			"the %s delivery is not signed: this hooknormd requires the %s and %s headers, which %s sends; "+
				"to send one yourself, sign \"<timestamp>%s<body>\" with HMAC-SHA256 and the webhook's secret (it would be checked with %s)",
			sch.name, sch.signatureHeader, sch.timestampHeader, sch.name, sch.separator, whose)
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
			"the %s signature matches none of %s: the body, the timestamp or the secret differs from what was signed",
			sch.name, whose)
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
