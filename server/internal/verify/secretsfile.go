package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
)

// The secrets file maps each provider, then each tenant, to that tenant's webhook secrets (several
// while one is rotated) or to "unsigned": true for a tenant whose deliveries carry no signature
// (a Webflow site whose webhooks were made in the site dashboard):
//
//	{
//	  "clickfunnels": {"42": {"secrets": ["<current>", "<previous>"]}},
//	  "webflow": {"5f0c...": {"secrets": ["<secretKey>"]}, "64a1...": {"unsigned": true}}
//	}
//
// It is JSON, read strictly: an unknown member, a member given twice, a blank secret or an entry
// with both secrets and unsigned (or neither) is refused with the line and the member.

// fileEntry is one tenant's entry in the secrets file.
type fileEntry struct {
	Secrets  []string `json:"secrets"`
	Unsigned bool     `json:"unsigned"`
}

// tenantEntry is a tenant's entry, ready to verify with.
type tenantEntry struct {
	secrets  [][]byte
	unsigned bool
}

// TenantSecrets are the entries of one secrets file. It is never changed once loaded.
type TenantSecrets struct {
	path    string
	tenants map[hooknormv1.Source]map[string]tenantEntry
}

// fileSources are the providers the secrets file names, by the names the routes use.
var fileSources = map[string]hooknormv1.Source{
	"clickfunnels": hooknormv1.Source_SOURCE_CLICKFUNNELS,
	"webflow":      hooknormv1.Source_SOURCE_WEBFLOW,
}

// LoadSecretsFile reads a secrets file. Its errors say where the file is wrong (line, column and
// member) and never quote a secret.
func LoadSecretsFile(path string) (*TenantSecrets, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the secrets file: %w", err)
	}
	var raw map[string]map[string]fileEntry
	if err := json.Unmarshal(data, &raw, json.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("the secrets file %s is not valid: %s", path, describeJSONError(data, err))
	}
	if raw == nil {
		return nil, fmt.Errorf("the secrets file %s is not valid: expected an object such as "+
			`{"clickfunnels": {"<workspace id>": {"secrets": ["..."]}}, "webflow": {"<site id>": {"unsigned": true}}}`, path)
	}
	t := &TenantSecrets{path: path, tenants: map[hooknormv1.Source]map[string]tenantEntry{}}
	for provider, tenants := range raw {
		source, known := fileSources[provider]
		if !known {
			return nil, fmt.Errorf("the secrets file %s, %s: unknown provider %q: expected clickfunnels or webflow",
				path, lineOf(data, provider), provider)
		}
		entries := map[string]tenantEntry{}
		for tenant, e := range tenants {
			where := fmt.Sprintf("the secrets file %s, %s, %s %q", path, lineOf(data, tenant), schemes[source].tenantWord, tenant)
			if tenant == "" || len(tenant) > maxTenantBytes || !utf8.ValidString(tenant) || strings.ContainsFunc(tenant, unicode.IsControl) {
				return nil, fmt.Errorf("%s: a tenant is its id, valid UTF-8 on one line, of 1 to %d bytes", where, maxTenantBytes)
			}
			switch {
			case e.Unsigned && len(e.Secrets) > 0:
				return nil, fmt.Errorf("%s: give either secrets or \"unsigned\": true, not both", where)
			case !e.Unsigned && len(e.Secrets) == 0:
				return nil, fmt.Errorf("%s: give its secrets (\"secrets\": [\"...\"]) or mark it \"unsigned\": true", where)
			}
			entry := tenantEntry{unsigned: e.Unsigned}
			for i, secret := range e.Secrets {
				if strings.TrimSpace(secret) != secret || secret == "" {
					return nil, fmt.Errorf("%s: secret %d is blank or starts or ends with white space", where, i+1)
				}
				entry.secrets = append(entry.secrets, []byte(secret))
			}
			entries[tenant] = entry
		}
		t.tenants[source] = entries
	}
	return t, nil
}

// entry returns the entry of a tenant of source.
func (t *TenantSecrets) entry(source hooknormv1.Source, tenant string) (tenantEntry, bool) {
	e, ok := t.tenants[source][tenant]
	return e, ok
}

// Listed reports whether a tenant of source has an entry.
func (t *TenantSecrets) Listed(source hooknormv1.Source, tenant string) bool {
	_, ok := t.entry(source, tenant)
	return ok
}

// Summary counts the entries, for logs: "clickfunnels: 2 signed; webflow: 1 signed, 1 unsigned".
// It names no tenant and no secret.
func (t *TenantSecrets) Summary() string {
	var parts []string
	for name, source := range fileSources {
		signed, unsigned := 0, 0
		for _, e := range t.tenants[source] {
			if e.unsigned {
				unsigned++
			} else {
				signed++
			}
		}
		part := fmt.Sprintf("%s: %d signed", name, signed)
		if unsigned > 0 {
			part += fmt.Sprintf(", %d unsigned", unsigned)
		}
		parts = append(parts, part)
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

// SecretsFile holds the secrets file in force, replaced whole on reload so that a delivery being
// verified keeps the entries it started with.
type SecretsFile struct {
	path    string
	current atomic.Pointer[TenantSecrets]
}

// OpenSecretsFile loads the secrets file at path.
func OpenSecretsFile(path string) (*SecretsFile, error) {
	f := &SecretsFile{path: path}
	return f, f.Reload()
}

// Reload reads the secrets file again; on error the entries in force stay.
func (f *SecretsFile) Reload() error {
	t, err := LoadSecretsFile(f.path)
	if err != nil {
		return err
	}
	f.current.Store(t)
	return nil
}

// Current returns the entries in force.
func (f *SecretsFile) Current() *TenantSecrets { return f.current.Load() }

// describeJSONError says where a JSON error is, by line, column and member, and what is wrong,
// without quoting a value: a value in the secrets file may be a secret.
func describeJSONError(data []byte, err error) string {
	var syntactic *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.As(err, &syntactic):
		cause := "invalid JSON"
		if errors.Is(syntactic.Err, jsontext.ErrDuplicateName) {
			cause = "a member is given twice"
		} else if errors.Is(syntactic.Err, io.ErrUnexpectedEOF) {
			cause = "the file ends too soon"
		}
		return fmt.Sprintf("%s (at %s): %s", position(data, syntactic.ByteOffset), pointer(syntactic.JSONPointer), cause)
	case errors.As(err, &semantic):
		cause := "wrong JSON type: providers and tenants are objects, secrets a list of strings, unsigned true or false"
		if errors.Is(semantic.Err, json.ErrUnknownName) {
			cause = "unknown member: a tenant's entry has only secrets and unsigned"
		}
		return fmt.Sprintf("%s (at %s): %s", position(data, semantic.ByteOffset), pointer(semantic.JSONPointer), cause)
	}
	return "invalid JSON"
}

// pointer writes a JSON pointer for a message, "/" for the top.
func pointer(p jsontext.Pointer) string {
	if p == "" {
		return "/"
	}
	return string(p)
}

// position is "line L, column C" of a byte offset in data.
func position(data []byte, offset int64) string {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	column := int(offset) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf("line %d, column %d", line, column)
}

// lineOf is the position of the first member named name in data, for messages about it.
func lineOf(data []byte, name string) string {
	quoted, _ := jsontext.AppendQuote(nil, name)
	if i := bytes.Index(data, quoted); i >= 0 {
		return position(data, int64(i))
	}
	return "line ?"
}
