package transport_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/transport"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestMalformedEnvelopesAreRefusedAndNotStored sends every malformed envelope (a resource member
// missing or not an object) to Ingest and Normalize, over HTTP and gRPC: each is refused with
// 400 / InvalidArgument, reason INVALID_FIELD and the member's path in the error's field, the
// refused deliveries are counted with that reason, and the log stays empty until a well-formed
// delivery takes sequence 1.
func TestMalformedEnvelopesAreRefusedAndNotStored(t *testing.T) {
	h := start(t, 1<<20)
	refused := map[hooknormv1.Source]float64{}
	for _, m := range fixtures.MalformedEnvelopes() {
		ingestPath := "/v1/webhooks/" + sourcePath(m.Source)
		normalizePath := "/v1/normalize/" + sourcePath(m.Source)
		if m.TriggerType != "" {
			ingestPath += "/" + url.PathEscape(m.TriggerType)
			normalizePath += "?trigger_type=" + url.QueryEscape(m.TriggerType)
		}
		for _, path := range []string{ingestPath, normalizePath} {
			t.Run("HTTP "+path+"/"+m.Name, func(t *testing.T) {
				code, body := h.post(t, path, m.Body, nil)
				var got httpError
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatalf("HTTP %d, error body is not JSON: %s", code, body)
				}
				if code != http.StatusBadRequest || got.Reason != "INVALID_FIELD" || got.Field != m.Field || !strings.Contains(got.Message, m.Field+" is "+m.Found) {
					t.Errorf("answered %d %s, want 400 INVALID_FIELD at %s saying it is %s", code, body, m.Field, m.Found)
				}
			})
		}
		refused[m.Source] += 2 // the HTTP and gRPC Ingest calls
		t.Run("gRPC Ingest/"+m.Name, func(t *testing.T) {
			_, err := h.client.Ingest(context.Background(), &hooknormv1.IngestRequest{Source: m.Source, Payload: m.Body, TriggerType: m.TriggerType})
			checkInvalidField(t, err, m)
		})
		t.Run("gRPC Normalize/"+m.Name, func(t *testing.T) {
			_, err := h.client.Normalize(context.Background(), &hooknormv1.NormalizeRequest{Source: m.Source, Payload: m.Body, TriggerType: m.TriggerType})
			checkInvalidField(t, err, m)
		})
	}
	if last, err := h.log.FreshLastSequence(context.Background()); err != nil || last != 0 {
		t.Errorf("the log's newest sequence is %d (%v) after refused deliveries, want 0", last, err)
	}
	got := h.scrape(t)
	for source, want := range refused {
		labels := map[string]string{"source": source.String(), "outcome": "rejected", "reason": "ERROR_REASON_INVALID_FIELD"}
		if v := sum(got, "hooknorm_deliveries_total", labels); v != want {
			t.Errorf("hooknorm_deliveries_total%v = %v, want %v", labels, v, want)
		}
	}
	if stored := h.ingest(t, "/v1/webhooks/webflow", wfV2Form, nil); stored.Sequence != "1" {
		t.Errorf("the first well-formed delivery got sequence %s, want 1", stored.Sequence)
	}
}

// checkInvalidField fails t unless err is an InvalidArgument status whose ErrorInfo gives reason
// INVALID_FIELD at m's resource member.
func checkInvalidField(t *testing.T, err error, m fixtures.MalformedEnvelope) {
	t.Helper()
	st := status.Convert(err)
	info := errorInfo(st)
	if st.Code() != codes.InvalidArgument || info == nil {
		t.Fatalf("answered %v %q with details %v, want InvalidArgument with an ErrorInfo", st.Code(), st.Message(), st.Details())
	}
	want := transport.ReasonName(hooknormv1.ErrorReason_ERROR_REASON_INVALID_FIELD)
	if info.GetReason() != want || info.GetMetadata()["field"] != m.Field || !strings.Contains(st.Message(), m.Field+" is "+m.Found) {
		t.Errorf("answered %q with %v, want reason %s at field %s saying it is %s", st.Message(), info, want, m.Field, m.Found)
	}
}
