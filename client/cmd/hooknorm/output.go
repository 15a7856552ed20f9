package main

import (
	"bytes"
	"encoding/json"
	"io"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// writeJSON prints the event as indented protojson, with stable spacing.
func writeJSON(w io.Writer, event *hooknormv1.Event) error {
	compact, err := protojson.Marshal(event)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// writeJSONLine prints a message (an event, a consumer, a dead letter) as one line of JSON.
func writeJSONLine(w io.Writer, m proto.Message) error {
	compact, err := protojson.Marshal(m)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, compact); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}
