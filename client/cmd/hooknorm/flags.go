package main

import (
	"io"
	"net/http"
	"time"

	"github.com/hooknorm/hooknorm/client"
	"github.com/spf13/pflag"
)

// startOptions are the flags saying where tail, forward and replay start in the log.
type startOptions struct {
	earliest bool
	after    uint64
	since    string
	flags    *pflag.FlagSet
}

func (o *startOptions) register(fl *pflag.FlagSet) {
	o.flags = fl
	fl.BoolVar(&o.earliest, "earliest", false, "start at the oldest retained event")
	fl.Uint64Var(&o.after, "after", 0, "start after this sequence (a cursor)")
	fl.StringVar(&o.since, "since", "", "start at events received since a duration ago (1h, 30m) or an RFC 3339 time")
}

// start reads the start flags; at most one may be given, and none means new events only.
func (o *startOptions) start() (client.Start, error) {
	return tailStart(o.earliest, o.flags.Changed("after"), o.after, o.since)
}

// filterOptions are the flags choosing which events tail, forward and replay receive.
type filterOptions struct {
	sources, types, prefixes []string
	tenant                   string
	raw                      bool
}

func (o *filterOptions) register(fl *pflag.FlagSet) {
	fl.StringSliceVar(&o.sources, "source", nil, "only this provider: clickfunnels or webflow (repeatable)")
	fl.StringSliceVar(&o.types, "type", nil, "only this event type (repeatable)")
	fl.StringSliceVar(&o.prefixes, "type-prefix", nil, "only event types starting with this, e.g. orders/ (repeatable)")
	fl.StringVar(&o.tenant, "tenant", "", "only this ClickFunnels workspace id or Webflow site id")
	fl.BoolVar(&o.raw, "raw", false, "include each event's raw body")
}

// filter builds the subscription filter the flags describe.
func (o *filterOptions) filter() (client.Filter, error) {
	filter := client.Filter{Types: o.types, TypePrefixes: o.prefixes, Tenant: o.tenant, IncludeRaw: o.raw}
	for _, s := range o.sources {
		src, err := sourceFlag(s)
		if err != nil {
			return client.Filter{}, err
		}
		filter.Sources = append(filter.Sources, src)
	}
	return filter, nil
}

// open builds the filter the flags describe and dials hooknormd with conn: what tail, forward and
// replay do before they subscribe. The caller closes the client.
func (o *filterOptions) open(conn *connection) (*client.Client, client.Filter, error) {
	filter, err := o.filter()
	if err != nil {
		return nil, client.Filter{}, err
	}
	c, err := conn.dial()
	if err != nil {
		return nil, client.Filter{}, err
	}
	return c, filter, nil
}

// deliveryOptions are the flags saying where and how forward and replay deliver events.
type deliveryOptions struct {
	to, format, mode string
	maxAttempts      int
	deadLetter       string
}

func (o *deliveryOptions) register(fl *pflag.FlagSet) {
	fl.StringVar(&o.to, "to", "", "URL to POST each event to (required)")
	fl.StringVar(&o.format, "format", "cloudevents", "cloudevents or event-json")
	fl.StringVar(&o.mode, "mode", "binary", "CloudEvents content mode: binary (attributes as ce- headers) or structured (one JSON envelope)")
	fl.IntVar(&o.maxAttempts, "max-attempts", defaultMaxAttempts, "attempts at an event the endpoint refuses with a 4xx other than 408 and 429, before giving up on it")
	fl.StringVar(&o.deadLetter, "dead-letter", "", "file to append the events given up on to, one JSON line each, and go on (default: stop at such an event, exit code 4)")
}

// forwarder checks the flags and returns a forwarder that reports its retries to log. The caller
// closes its dead-letter file.
func (o *deliveryOptions) forwarder(log io.Writer) (*forwarder, error) {
	if o.to == "" {
		return nil, usagef("--to is required: the URL to deliver events to")
	}
	if err := httpURLFlag("to", o.to); err != nil {
		return nil, err
	}
	if o.format != "cloudevents" && o.format != "event-json" {
		return nil, usagef("--format must be cloudevents or event-json, got %q", o.format)
	}
	if o.mode != "structured" && o.mode != "binary" {
		return nil, usagef("--mode must be structured or binary, got %q", o.mode)
	}
	maxAttempts, err := maxAttemptsFlag(o.maxAttempts)
	if err != nil {
		return nil, err
	}
	deadLetters, err := openDeadLetters(o.deadLetter)
	if err != nil {
		return nil, err
	}
	return &forwarder{to: o.to, format: o.format, structured: o.mode == "structured", log: log,
		maxAttempts: maxAttempts, deadLetters: deadLetters, clear: func() {}, now: time.Now,
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}
