package transport

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/access"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// webhookRouteKey is the metadata the gateway adds to calls from the provider webhook routes,
// which are authenticated by the providers' signatures rather than by tokens. Its value is a
// random key made at start-up, so no other client can claim to be a webhook route.
const webhookRouteKey = "hooknorm-webhook-route"

// callOf names the calls of hooknorm.v1.WebhookService as tokens scope them; other services
// (health, reflection) are open.
var callOf = map[string]string{
	hooknormv1.WebhookService_Normalize_FullMethodName: access.CallNormalize,
	hooknormv1.WebhookService_Ingest_FullMethodName:    access.CallIngest,
	hooknormv1.WebhookService_Subscribe_FullMethodName: access.CallSubscribe,
	// Any valid token may list the event types (see access.CallListEventTypes).
	hooknormv1.WebhookService_ListEventTypes_FullMethodName: access.CallListEventTypes,
}

// authenticator checks bearer tokens: it puts the caller's principal in the call's context, or
// refuses the call.
type authenticator struct {
	guard      *access.Guard // nil: no tokens file, the API is open
	webhookKey string
}

func newAuthenticator(guard *access.Guard) authenticator {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("no randomness for the webhook route key: " + err.Error())
	}
	return authenticator{guard: guard, webhookKey: hex.EncodeToString(key)}
}

func (a authenticator) authorize(ctx context.Context, method string) (context.Context, error) {
	call, scoped := callOf[method]
	if !scoped {
		return ctx, nil
	}
	// Single values, looked up where they are: copying the call's whole metadata would cost more.
	if call == access.CallIngest && a.fromWebhookRoute(metadata.ValueFromIncomingContext(ctx, webhookRouteKey)) {
		return ctx, nil // the provider's signature is checked by Ingest
	}
	if a.guard == nil {
		return ctx, nil
	}
	authorization := metadata.ValueFromIncomingContext(ctx, "authorization")
	token := bearer(authorization)
	switch {
	case token == "" && len(authorization) == 0:
		return ctx, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING,
			"this hooknormd requires a bearer token: send the header authorization: Bearer <token>")
	case token == "":
		return ctx, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_TOKEN_MISSING,
			"the authorization header carries no bearer token: send authorization: Bearer <token>, with the word Bearer, a space and the token")
	}
	p, ok := a.guard.Tokens().Lookup(token)
	if !ok {
		return ctx, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_TOKEN_INVALID,
			"the bearer token is not one this hooknormd accepts: check it for a typo or a stray character, "+
				"or ask its operator whether the token was replaced or removed from the tokens file")
	}
	if err := p.Allow(call); err != nil {
		return ctx, err
	}
	return access.WithPrincipal(ctx, p), nil
}

// fromWebhookRoute reports whether one of the values of the webhook route marker is this
// hooknormd's key.
func (a authenticator) fromWebhookRoute(values []string) bool {
	for _, value := range values {
		if subtle.ConstantTimeCompare([]byte(value), []byte(a.webhookKey)) == 1 {
			return true
		}
	}
	return false
}

// bearer returns the token of an authorization header value "Bearer <token>".
func bearer(values []string) string {
	for _, v := range values {
		if scheme, token, ok := strings.Cut(strings.TrimSpace(v), " "); ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(token)
		}
	}
	return ""
}

func (a authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := a.authorize(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (a authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, err := a.authorize(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return handler(srv, contextStream{ServerStream: ss, ctx: ctx})
}

// contextStream is a server stream with the context the authenticator made.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s contextStream) Context() context.Context { return s.ctx }
