package transport

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/metrics"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
	"github.com/hooknorm/hooknorm/server/internal/requestlog"
	"google.golang.org/grpc/status"
)

// webhookPathPrefix starts the path of every provider webhook route.
const webhookPathPrefix = "/v1/webhooks/"

// httpRefusals answers requests the HTTP layer refuses before any gRPC call (too large, too slow,
// an unknown source), counting those to the webhook routes in hooknorm_deliveries_total as
// Ingest counts the deliveries it refuses: a provider's delivery was refused either way.
type httpRefusals struct {
	metrics *metrics.Metrics // nil counts nothing
}

// refuse answers r with refusal, after counting it when r is a delivery and telling its log line
// the source named in the path.
func (h httpRefusals) refuse(w http.ResponseWriter, r *http.Request, refusal *rejection.Error) {
	h.count(r, refusal.Reason)
	writeRejection(w, r, refusal)
}

// gatewayError is the gateway's error handler: every error from a gRPC call or from the gateway
// itself gets the same errorBody. A delivery the gateway refuses itself, before it calls Ingest (a
// query parameter it cannot read), is counted as the HTTP layer's other refusals are; Ingest
// counts those it refuses.
func (h httpRefusals) gatewayError(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	if requestlog.FromContext(r.Context()).Method() == "" {
		body, _ := errorBodyOf(st)
		reason, _ := reasonByName(body.Reason)
		h.count(r, reason)
	}
	writeStatus(w, r, st)
}

// count counts a refusal of r with reason when r is a delivery, and tells its log line the source
// named in the path.
func (h httpRefusals) count(r *http.Request, reason hooknormv1.ErrorReason) {
	if source, delivery := pathSource(r); delivery {
		requestlog.FromContext(r.Context()).SetSource(source)
		h.metrics.Delivery(source, nil, metrics.Rejected, reason)
	}
}

// pathSource reports whether r is to a webhook route, and the source its path names
// (SOURCE_UNSPECIFIED for an unknown one).
func pathSource(r *http.Request) (hooknormv1.Source, bool) {
	path := requestedPath(r)
	if !strings.HasPrefix(path, webhookPathPrefix) {
		return hooknormv1.Source_SOURCE_UNSPECIFIED, false
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(path, webhookPathPrefix), "/")
	canonical, known := sourcesByName[strings.ToLower(name)]
	if !known {
		return hooknormv1.Source_SOURCE_UNSPECIFIED, true
	}
	return hooknormv1.Source(hooknormv1.Source_value[canonical]), true
}
