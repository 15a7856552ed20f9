package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/extensions"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/hooknorm/hooknorm/client"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
)

// DataSchema is the dataschema of the CloudEvents forward sends: their data is a
// hooknorm.v1.Event in its JSON form.
const DataSchema = "urn:hooknorm:protobuf:hooknorm.v1.Event"

func newForwardCommand(conn *connection) *cobra.Command {
	var (
		delivery   deliveryOptions
		from       startOptions
		filters    filterOptions
		cursorFile string
	)
	cmd := &cobra.Command{
		Use:   "forward --to URL [--format cloudevents|event-json] [--cursor-file F] [start] [filters]",
		Short: "Deliver every event to an HTTP endpoint, at least once and in order",
		Long: `forward follows hooknormd's log and POSTs each event to an HTTP endpoint, one at a time and in
log order, retrying with backoff until the endpoint answers 2xx: every event arrives at least once,
none out of order. With --cursor-file it records each delivered event's sequence and, when
restarted, resumes after it; the start flags apply only when the file does not exist yet.

As CloudEvents 1.0 (the default; --mode structured or binary):
  id               the event's id (ClickFunnels event_id, or a digest for Webflow)
  source           hooknorm/<provider>/<tenant>, e.g. hooknorm/clickfunnels/42
  type             com.<provider>.<event type>, e.g. com.clickfunnels.order.created
  subject          the resource's id, when the event names one
  time             when the event happened (or was received)
  datacontenttype  application/json
  dataschema       ` + DataSchema + `
  hooknormsequence the event's sequence in the log
  traceparent      the W3C trace context of the delivery that stored it, when it has one
  tracestate       (the Distributed Tracing extension)
  data             the hooknorm.v1.Event as JSON
As event-json, the body is the event as JSON, with Hooknorm-Event-Id and Hooknorm-Sequence headers.
Either way, an event with trace context is sent with traceparent and tracestate HTTP headers, so an
endpoint instrumented with OpenTelemetry continues the delivery's trace.`,
		Example: `  hooknorm forward --to http://localhost:3000/hooks --cursor-file .hooknorm-cursor
  hooknorm forward --to https://example.com/events --mode binary --source clickfunnels --type-prefix orders/
  hooknorm forward --to http://localhost:3000/hooks --format event-json --earliest`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := delivery.forwarder(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			start, err := from.start()
			if err != nil {
				return err
			}
			resumed := false
			if cursor, ok, err := readCursor(cursorFile); err != nil {
				return usageError{err}
			} else if ok {
				start, resumed = client.Start{HasAfter: true, After: cursor}, true
				fmt.Fprintf(cmd.ErrOrStderr(), "hooknorm: resuming after sequence %d from %s\n", cursor, cursorFile)
			}
			c, filter, err := filters.open(conn)
			if err != nil {
				return err
			}
			defer c.Close()
			var delivered uint64
			var count int
			ctx := cmd.Context()
			for event, err := range c.Subscribe(ctx, start, filter, nil) {
				var gap *client.GapError
				switch {
				case errors.As(err, &gap):
					fmt.Fprintf(cmd.ErrOrStderr(), "hooknorm: %v\n", err)
					continue
				case resumed && client.ReasonOf(err) == hooknormv1.ErrorReason_ERROR_REASON_CURSOR_AHEAD:
					return fmt.Errorf("%w\n%s holds a cursor this log never gave (the log was recreated, or it is another one): "+
						"remove it to start over with --earliest or --since", err, cursorFile)
				case err != nil:
					return err
				}
				if err := f.deliver(ctx, event); err != nil {
					break // ctx ended while retrying: the event was not delivered
				}
				delivered, count = event.GetSequence(), count+1
				if err := writeCursor(cursorFile, delivered); err != nil {
					return err
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "hooknorm: forwarded %d events", count)
			if delivered > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "; the last was sequence %d (resume with --after %d)", delivered, delivered)
			}
			fmt.Fprintln(cmd.ErrOrStderr())
			return nil
		},
	}
	fl := cmd.Flags()
	delivery.register(fl)
	fl.StringVar(&cursorFile, "cursor-file", "", "file keeping the sequence of the last delivered event, to resume from after a restart")
	from.register(fl)
	filters.register(fl)
	return cmd
}

// forwarder delivers events to one endpoint.
type forwarder struct {
	to, format string
	structured bool
	log        io.Writer
	http       *http.Client
}

// deliver POSTs the event until the endpoint answers 2xx, waiting longer after each failure; it
// gives up only when ctx ends.
func (f *forwarder) deliver(ctx context.Context, e *hooknormv1.Event) error {
	wait := 200 * time.Millisecond
	for {
		err := f.post(ctx, e)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Fprintf(f.log, "hooknorm: delivering sequence %d: %v; retrying in %s\n", e.GetSequence(), err, wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (f *forwarder) post(ctx context.Context, e *hooknormv1.Event) error {
	req, err := f.request(ctx, e)
	if err != nil {
		return err
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", f.to, resp.Status)
	}
	return nil
}

func (f *forwarder) request(ctx context.Context, e *hooknormv1.Event) (*http.Request, error) {
	data, err := protojson.Marshal(e)
	if err != nil {
		return nil, err
	}
	var req *http.Request
	if f.format == "event-json" {
		if req, err = http.NewRequestWithContext(ctx, http.MethodPost, f.to, strings.NewReader(string(data))); err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Hooknorm-Event-Id", e.GetId())
		req.Header.Set("Hooknorm-Sequence", strconv.FormatUint(e.GetSequence(), 10))
	} else {
		ce, err := CloudEvent(e, data)
		if err != nil {
			return nil, err
		}
		if f.structured {
			ctx = binding.WithForceStructured(ctx)
		} else {
			ctx = binding.WithForceBinary(ctx)
		}
		if req, err = cehttp.NewHTTPRequestFromEvent(ctx, f.to, ce); err != nil {
			return nil, err
		}
	}
	// The request continues the trace of the delivery that stored the event, so a receiver
	// instrumented with OpenTelemetry joins it.
	if traceparent := e.GetTraceparent(); traceparent != "" {
		req.Header.Set("traceparent", traceparent)
		if tracestate := e.GetTracestate(); tracestate != "" {
			req.Header.Set("tracestate", tracestate)
		}
	}
	return req, nil
}

// CloudEvent maps an event to a CloudEvent 1.0 whose data is data, the event as JSON.
func CloudEvent(e *hooknormv1.Event, data []byte) (cloudevents.Event, error) {
	provider := strings.ToLower(strings.TrimPrefix(e.GetSource().String(), "SOURCE_"))
	tenant := e.GetTenant()
	if tenant == "" {
		tenant = "unknown"
	}
	ce := cloudevents.NewEvent(cloudevents.VersionV1)
	ce.SetID(e.GetId())
	ce.SetSource("hooknorm/" + provider + "/" + tenant)
	ce.SetType("com." + provider + "." + e.GetType())
	if subject := resourceID(e); subject != "" {
		ce.SetSubject(subject)
	}
	at := e.GetReceivedAt().AsTime()
	if e.GetOccurredAt() != nil {
		at = e.GetOccurredAt().AsTime()
	}
	ce.SetTime(at)
	ce.SetDataSchema(DataSchema)
	ce.SetExtension("hooknormsequence", strconv.FormatUint(e.GetSequence(), 10))
	// The Distributed Tracing extension: the trace context of the delivery that stored the event.
	extensions.DistributedTracingExtension{TraceParent: e.GetTraceparent(), TraceState: e.GetTracestate()}.AddTracingAttributes(&ce)
	if err := ce.SetData(cloudevents.ApplicationJSON, data); err != nil {
		return ce, err
	}
	return ce, ce.Validate()
}

// resourceID is the id of the resource an event is about: ClickFunnels' subject_id, or the
// resource's own id.
func resourceID(e *hooknormv1.Event) string {
	if cf := e.GetClickfunnels(); cf != nil && cf.SubjectId != nil {
		return strconv.FormatInt(cf.GetSubjectId(), 10)
	}
	return first(caseMessage(e), "id", "order_id", "page_id", "comment_id")
}

// readCursor reads a cursor file; false when there is none yet.
func readCursor(path string) (uint64, bool, error) {
	if path == "" {
		return 0, false, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("--cursor-file: %w", err)
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("--cursor-file %s does not hold a sequence: %q", path, strings.TrimSpace(string(data)))
	}
	return n, true, nil
}

// writeCursor replaces the cursor file with seq, atomically, so a crash leaves the old or the new
// cursor, never a torn one.
func writeCursor(path string, seq uint64) error {
	if path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hooknorm-cursor-")
	if err != nil {
		return fmt.Errorf("writing the cursor: %w", err)
	}
	if _, err := fmt.Fprintf(tmp, "%d\n", seq); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the cursor: %w", err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the cursor: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
