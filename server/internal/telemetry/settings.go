package telemetry

import (
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/contrib/propagators/autoprop"
	"go.opentelemetry.io/otel/propagation"
)

// Protocols an OTLP exporter speaks, as OTEL_EXPORTER_OTLP_PROTOCOL names them.
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
	ProtocolHTTPJSON     = "http/json"
)

// exportSettings says whether and where spans are exported, as the standard OTEL_* variables
// decide it.
type exportSettings struct {
	// export is false when no endpoint is set, or tracing is switched off.
	export bool
	// off names the variable that switched exporting off despite an endpoint; empty otherwise.
	off string
	// endpoint is the endpoint as set, with any password in it masked.
	endpoint string
	// endpointVariable is the variable endpoint came from.
	endpointVariable string
	// protocol is one of the Protocol constants.
	protocol string
}

// readSettings reads the standard variables that decide whether and how spans are exported. It
// checks what the OpenTelemetry SDK would silently ignore or replace by a default, so a typo
// stops hooknormd with the variable's name instead of losing every span. Header values are never
// repeated in an error: they may hold credentials.
func readSettings(getenv func(string) string) (exportSettings, error) {
	var s exportSettings
	switch exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exporter {
	case "", "otlp":
	case "none":
		s.off = "OTEL_TRACES_EXPORTER"
	default:
		return exportSettings{}, fmt.Errorf("OTEL_TRACES_EXPORTER=%q is not supported: hooknormd exports traces over OTLP (otlp) or not at all (none)", exporter)
	}
	if disabled := strings.TrimSpace(getenv("OTEL_SDK_DISABLED")); strings.EqualFold(disabled, "true") {
		s.off = "OTEL_SDK_DISABLED"
	} else if disabled != "" && !strings.EqualFold(disabled, "false") {
		return exportSettings{}, fmt.Errorf("OTEL_SDK_DISABLED=%q is invalid: want true or false", disabled)
	}

	s.endpointVariable = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	endpoint := strings.TrimSpace(getenv(s.endpointVariable))
	if endpoint == "" {
		s.endpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT"
		endpoint = strings.TrimSpace(getenv(s.endpointVariable))
	}
	if endpoint == "" {
		return exportSettings{off: s.off}, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return exportSettings{}, fmt.Errorf("%s is not a URL: %v", s.endpointVariable, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return exportSettings{}, fmt.Errorf("%s=%q is invalid: want an http:// or https:// URL with a host, such as http://collector:4318",
			s.endpointVariable, u.Redacted())
	}
	s.endpoint = u.Redacted()

	s.protocol = ProtocolHTTPProtobuf // the specification's default
	for _, variable := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		switch value := strings.TrimSpace(getenv(variable)); value {
		case "":
		case ProtocolGRPC, ProtocolHTTPProtobuf, ProtocolHTTPJSON:
			s.protocol = value // the traces variable, read last, wins
		default:
			return exportSettings{}, fmt.Errorf("%s=%q is invalid: want %s, %s or %s",
				variable, value, ProtocolGRPC, ProtocolHTTPProtobuf, ProtocolHTTPJSON)
		}
	}
	for _, variable := range []string{"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"} {
		if err := checkHeaders(variable, getenv(variable)); err != nil {
			return exportSettings{}, err
		}
	}
	s.export = s.off == ""
	return s, nil
}

// checkHeaders requires a headers variable to be comma-separated key=value pairs with URL-encoded
// values. The SDK would drop a malformed pair and log it, value included; this names the bad pair
// by position only.
func checkHeaders(variable, value string) error {
	if strings.TrimSpace(value) == "" {
		return nil
	}
	for i, pair := range strings.Split(value, ",") {
		key, value, found := strings.Cut(pair, "=")
		if !found || strings.TrimSpace(key) == "" {
			return fmt.Errorf("%s is invalid: pair %d is not key=value (the value is not shown, it may hold credentials)", variable, i+1)
		}
		if _, err := url.PathUnescape(value); err != nil {
			return fmt.Errorf("%s is invalid: pair %d is not URL-encoded (the value is not shown, it may hold credentials)", variable, i+1)
		}
	}
	return nil
}

// defaultPropagators is what OTEL_PROPAGATORS means when it is not set, as the specification
// says: W3C Trace Context and W3C Baggage.
const defaultPropagators = "tracecontext,baggage"

// readPropagator builds the propagator OTEL_PROPAGATORS names (tracecontext, baggage, b3,
// b3multi, jaeger, xray, ottrace, or none), and says which names it is made of. The SDK would
// fall back to its default on a name it does not know and go on; this refuses it, naming the
// variable, so a typo does not break every trace that crosses hooknormd.
func readPropagator(getenv func(string) string) (propagation.TextMapPropagator, string, error) {
	value := getenv("OTEL_PROPAGATORS")
	var names []string
	for _, name := range strings.Split(value, ",") {
		if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		names = strings.Split(defaultPropagators, ",")
	}
	propagator, err := autoprop.TextMapPropagator(names...)
	if err != nil {
		return nil, "", fmt.Errorf("OTEL_PROPAGATORS=%q is invalid: %v (known: tracecontext, baggage, b3, b3multi, jaeger, xray, ottrace, none)", value, err)
	}
	return propagator, strings.Join(names, ","), nil
}
