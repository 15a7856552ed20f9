package refdocs

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// table is a Markdown table under construction.
type table struct {
	b strings.Builder
}

// newTable starts a table with the given column headings.
func newTable(headings ...string) *table {
	t := &table{}
	t.row(headings...)
	t.b.WriteString("|" + strings.Repeat("---|", len(headings)) + "\n")
	return t
}

// row adds a row; each cell is written as it is, with its pipes and line breaks escaped.
func (t *table) row(cells ...string) {
	t.b.WriteString("|")
	for _, c := range cells {
		c = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
		t.b.WriteString(" " + c + " |")
	}
	t.b.WriteString("\n")
}

func (t *table) String() string { return t.b.String() }

// code writes s as inline code.
func code(s string) string {
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// capitalize upper-cases the first letter of s, unless s starts with a name written in lower case
// (hooknorm, hooknormd, gRPC).
func capitalize(s string) string {
	if strings.HasPrefix(s, "hooknorm") || strings.HasPrefix(s, "gRPC") {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}
