package jsonconv

import (
	"bytes"

	"github.com/go-json-experiment/json/jsontext"
)

// Member is one member of a JSON object as Outline finds it.
type Member struct {
	// Key is the member's name, unescaped.
	Key string
	// Value is the member's value, exactly as it appears in the body.
	Value []byte
}

// Kind is the JSON kind of the member's value: '"' string, '0' number, 't' or 'f' boolean,
// 'n' null, '{' object, '[' array.
func (m Member) Kind() byte {
	switch c := m.Value[0]; c {
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return '0'
	default:
		return c
	}
}

// Outline calls visit with each member of the JSON object in body, in order, until visit returns
// false. It does not validate: it is a fast look at an envelope (which member names the event
// type, is the data JSON:API shaped) before the one pass that reads and validates everything. It
// reports false when body does not look like an object; a true answer on invalid JSON is possible,
// and the full pass then refuses the body.
func Outline(body []byte, visit func(Member) bool) bool {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return true
	}
	for i < len(body) {
		if body[i] != '"' {
			return false
		}
		end, ok := skipString(body, i)
		if !ok {
			return false
		}
		key := body[i:end]
		i = skipSpace(body, end)
		if i >= len(body) || body[i] != ':' {
			return false
		}
		i = skipSpace(body, i+1)
		valueEnd, ok := skipValue(body, i)
		if !ok {
			return false
		}
		name, ok := unquoteKey(key)
		if !ok {
			return false
		}
		if !visit(Member{Key: name, Value: body[i:valueEnd]}) {
			return true
		}
		i = skipSpace(body, valueEnd)
		if i >= len(body) {
			return false
		}
		switch body[i] {
		case ',':
			i = skipSpace(body, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
	return false
}

// Members returns every member of the JSON object in body, or false as Outline does.
func Members(body []byte) ([]Member, bool) {
	var members []Member
	ok := Outline(body, func(m Member) bool {
		members = append(members, m)
		return true
	})
	return members, ok
}

// Lookup returns the first member named key.
func Lookup(members []Member, key string) (Member, bool) {
	for _, m := range members {
		if m.Key == key {
			return m, true
		}
	}
	return Member{}, false
}

// StringValue reads a member's value as a JSON string; false when it is not one.
func StringValue(m Member) (string, bool) {
	if m.Kind() != '"' {
		return "", false
	}
	s, ok := unquoteKey(m.Value)
	return s, ok
}

func unquoteKey(quoted []byte) (string, bool) {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return string(quoted[1 : len(quoted)-1]), true
	}
	unquoted, err := jsontext.AppendUnquote(nil, quoted)
	return string(unquoted), err == nil
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the string that starts at b[i] == '"'.
func skipString(b []byte, i int) (int, bool) {
	i++
	// Most strings are short: a plain loop beats a call to IndexByte.
	for limit := min(len(b), i+32); i < limit; i++ {
		switch b[i] {
		case '"':
			return i + 1, true
		case '\\':
			i++
		}
	}
	for i < len(b) {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false
		}
		end := i + j
		backslashes := 0
		for k := end - 1; k >= i && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return end + 1, true
		}
		i = end + 1
	}
	return 0, false
}

// skipValue returns the index just past the value that starts at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default:
		start := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return i, i > start
			}
			i++
		}
		return i, i > start
	}
}
