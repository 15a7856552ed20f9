package jsonconv

import (
	"bytes"
	"encoding/binary"
	"math/bits"

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
	// Most strings are short: a few words read eight bytes at a time beat a call to IndexByte.
	for limit := i + 32; i < limit; {
		j := nextQuoteOrBackslash(b, i)
		if j >= len(b) {
			return 0, false
		}
		if b[j] == '"' {
			return j + 1, true
		}
		i = j + 2 // the byte after a backslash is escaped
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
		return skipContainer(b, i)
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

// skipContainer returns the index just past the object or array that starts at b[i], which is
// '{' or '['. Like a reader of one byte at a time, it counts every bracket outside strings alike
// and skips a string's escaped bytes, but it reads eight bytes at a time, with masks that mark
// the bytes of a word inside strings; a word with a backslash, or one where the value might end,
// it reads a byte at a time.
func skipContainer(b []byte, i int) (int, bool) {
	depth := 0
	inString := false
	escaped := false // the next byte is escaped
	for {
		if !escaped && i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if zeroBytes(w^backslash) == 0 {
				folded := w | lowerCase
				inside := prefixXOR(equalBytes(w, quotes))
				if inString {
					inside ^= highBits
				}
				opens := equalBytes(folded, openCurly) &^ inside
				closes := equalBytes(folded, closeCurl) &^ inside
				if closes == 0 || bits.OnesCount64(closes) < depth {
					depth += bits.OnesCount64(opens) - bits.OnesCount64(closes)
					inString = inside>>63 != 0
					i += 8
					continue
				}
			}
		}
		// One word a byte at a time.
		for end := min(i+8, len(b)); i < end; i++ {
			c := b[i]
			switch {
			case escaped:
				escaped = false
			case inString:
				switch c {
				case '\\':
					escaped = true
				case '"':
					inString = false
				}
			default:
				switch c {
				case '"':
					inString = true
				case '{', '[':
					depth++
				case '}', ']':
					depth--
					if depth == 0 {
						return i + 1, true
					}
				}
			}
		}
		if i >= len(b) {
			return 0, false
		}
	}
}

// equalBytes marks with their high bit exactly the bytes of w equal to those of pattern.
func equalBytes(w, pattern uint64) uint64 {
	x := w ^ pattern
	low := uint64(lowBits)
	return ^((x&low + low) | x | low)
}

// prefixXOR sets each byte's high bit of marks to the parity of the marks at and below it: for
// quote marks, which bytes from the first quote on are inside a string.
func prefixXOR(marks uint64) uint64 {
	marks ^= marks << 8
	marks ^= marks << 16
	marks ^= marks << 32
	return marks
}

// Bytes broadcast to every byte of a word, for finding bytes eight at a time.
const (
	ones      = 0x0101010101010101
	highBits  = 0x8080808080808080
	lowBits   = 0x7f7f7f7f7f7f7f7f
	quotes    = '"' * ones
	backslash = '\\' * ones
	lowerCase = 0x20 * ones // '[' | 0x20 is '{', ']' | 0x20 is '}'
	openCurly = '{' * ones
	closeCurl = '}' * ones
)

// zeroBytes marks the zero bytes of w with their high bit. A byte above a zero byte may be marked
// too, but the lowest mark is always a zero byte: the lowest match is exact.
func zeroBytes(w uint64) uint64 {
	return (w - ones) &^ w & highBits
}

// nextQuoteOrBackslash returns the index of the first '"' or '\\' in b at or after i, or an
// index at or past len(b) when there is none.
func nextQuoteOrBackslash(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if m := zeroBytes(w^quotes) | zeroBytes(w^backslash); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// nextStructural returns the index of the first '"', '{', '}', '[' or ']' in b at or after i, or
// len(b) when there is none.
func nextStructural(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		folded := w | lowerCase
		if m := zeroBytes(w^quotes) | zeroBytes(folded^openCurly) | zeroBytes(folded^closeCurl); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case '"', '{', '}', '[', ']':
			return i
		}
	}
	return i
}
