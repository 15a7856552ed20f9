package jsonconv_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/hooknorm/hooknorm/server/internal/fixtures"
	"github.com/hooknorm/hooknorm/server/internal/jsonconv"
)

// topLevel lists the keys and raw values of a valid JSON object with a validating decoder.
func topLevel(body []byte) (keys []string, values [][]byte, ok bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, nil, false
	}
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, nil, false
		}
		key := name.String() // a token is valid only until the next call
		value, err := dec.ReadValue()
		if err != nil {
			return nil, nil, false
		}
		keys = append(keys, key)
		values = append(values, bytes.Clone(value))
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, nil, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, nil, false
	}
	return keys, values, true
}

// FuzzOutline checks the one part of conversion that does not validate: on every valid JSON
// object, Outline must find exactly the members a validating decoder finds, in order.
func FuzzOutline(f *testing.F) {
	all, err := fixtures.All()
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range all {
		f.Add(d.Body)
	}
	f.Add([]byte(`{"a\"b": "c\\", "d": [1, {"e": "]"}], "f": -1.5e3, "g": null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, values, valid := topLevel(body)
		if !valid {
			return
		}
		members, ok := jsonconv.Members(body)
		if !ok {
			t.Fatalf("Outline refused a valid object: %q", body)
		}
		if len(members) != len(keys) {
			t.Fatalf("Outline found %d members, the decoder %d: %q", len(members), len(keys), body)
		}
		for i, m := range members {
			if m.Key != keys[i] || !bytes.Equal(m.Value, values[i]) {
				t.Fatalf("member %d: Outline %q=%q, decoder %q=%q", i, m.Key, m.Value, keys[i], values[i])
			}
		}
	})
}
