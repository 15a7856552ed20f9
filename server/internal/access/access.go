// Package access decides who may call hooknorm's API: bearer tokens from a tokens file, each with a
// name and a scope (which calls, sources and tenants). The file holds SHA-256 hashes of tokens,
// never the tokens. It knows nothing of gRPC.
package access

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	hooknormv1 "github.com/hooknorm/hooknorm/gen/hooknorm/v1"
	"github.com/hooknorm/hooknorm/server/internal/rejection"
)

// Calls a token may be allowed.
const (
	CallNormalize = "normalize"
	CallIngest    = "ingest"
	CallSubscribe = "subscribe"
	// CallConsume allows every call of the consumer service: creating, listing and deleting
	// consumers, consuming and acknowledging their events, their dead letters. Only consumers
	// within the token's sources and tenants (see Covers).
	CallConsume = "consume"
)

// CallListEventTypes names the call that lists the event types the schema defines. It is not
// one a tokens file grants: every valid token may make it, since it reads no events, and a
// token scoped to some sources sees only their types (see Scope).
const CallListEventTypes = "list_event_types"

// DefaultMaxStreams is how many subscriptions a token may hold open at once unless its entry says.
const DefaultMaxStreams = 100

// file is the tokens file: {"tokens": [{...}, ...]}.
type file struct {
	Tokens []entry `json:"tokens"`
}

// entry is one token in the file.
type entry struct {
	Name       string   `json:"name"`
	SHA256     string   `json:"sha256"`
	Calls      []string `json:"calls"`
	Sources    []string `json:"sources"`
	Tenants    []string `json:"tenants"`
	MaxStreams int      `json:"max_streams"`
}

// Principal is who a token belongs to and what it may do.
type Principal struct {
	// Name names the token, for logs.
	Name    string
	calls   []string
	sources []hooknormv1.Source
	tenants []string
	// MaxStreams bounds the subscriptions the token may hold open at once.
	MaxStreams int
	streams    *atomic.Int64
}

// Tokens are the tokens of one tokens file.
type Tokens struct {
	byHash map[string]*Principal
}

// Load reads a tokens file. It refuses entries without a name, with a hash that is not 64 hex
// digits, with an unknown call or source, or repeating a name or hash.
func Load(path string) (*Tokens, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the tokens file: %w", err)
	}
	var f file
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("the tokens file %s is not valid: %w", path, err)
	}
	t := &Tokens{byHash: map[string]*Principal{}}
	names := map[string]bool{}
	for i, e := range f.Tokens {
		where := fmt.Sprintf("the tokens file %s, token %d (%q)", path, i+1, e.Name)
		hash := strings.ToLower(strings.TrimSpace(e.SHA256))
		if raw, err := hex.DecodeString(hash); err != nil || len(raw) != sha256.Size || e.Name == "" {
			return nil, fmt.Errorf("%s: every token needs a name and a sha256 of 64 hex digits (printf %%s \"$TOKEN\" | sha256sum)", where)
		}
		if names[e.Name] || t.byHash[hash] != nil {
			return nil, fmt.Errorf("%s: the name or the hash appears twice", where)
		}
		p := &Principal{Name: e.Name, tenants: e.Tenants, MaxStreams: e.MaxStreams, streams: &atomic.Int64{}}
		if p.MaxStreams <= 0 {
			p.MaxStreams = DefaultMaxStreams
		}
		for _, call := range e.Calls {
			if call != CallNormalize && call != CallIngest && call != CallSubscribe && call != CallConsume {
				return nil, fmt.Errorf("%s: unknown call %q: expected normalize, ingest, subscribe or consume", where, call)
			}
			p.calls = append(p.calls, call)
		}
		for _, source := range e.Sources {
			n, ok := hooknormv1.Source_value["SOURCE_"+strings.ToUpper(source)]
			if !ok || n == 0 {
				return nil, fmt.Errorf("%s: unknown source %q: expected clickfunnels or webflow", where, source)
			}
			p.sources = append(p.sources, hooknormv1.Source(n))
		}
		names[e.Name] = true
		t.byHash[hash] = p
	}
	return t, nil
}

// Lookup returns the principal of a bearer token.
func (t *Tokens) Lookup(token string) (*Principal, bool) {
	sum := sha256.Sum256([]byte(token))
	p, ok := t.byHash[hex.EncodeToString(sum[:])]
	return p, ok
}

// Len returns how many tokens there are.
func (t *Tokens) Len() int { return len(t.byHash) }

// Allow refuses a call the principal's token does not allow. Every token allows
// CallListEventTypes.
func (p *Principal) Allow(call string) error {
	if call != CallListEventTypes && !slices.Contains(p.calls, call) {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			"the token %q does not allow %s (it allows %s): use a token whose calls include %s, or ask the operator to add it to this one's",
			p.Name, call, orNothing(p.calls), call)
	}
	return nil
}

// AllowSource refuses a source outside the principal's scope.
func (p *Principal) AllowSource(source hooknormv1.Source) error {
	if len(p.sources) > 0 && !slices.Contains(p.sources, source) {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			"the token %q allows only events of %s, not of %s: ask for those, or use a token whose sources include %s",
			p.Name, sourceNames(p.sources), sourceName(source), sourceName(source))
	}
	return nil
}

// AllowTenant refuses an event's tenant outside the principal's scope.
func (p *Principal) AllowTenant(tenant string) error {
	if len(p.tenants) > 0 && !slices.Contains(p.tenants, tenant) {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			"the token %q allows only events of tenant %s, not of tenant %q: ask for those, or use a token whose tenants include %q",
			p.Name, quotedList(p.tenants), tenant, tenant)
	}
	return nil
}

// Scope narrows what a subscription asks for to what the principal may see: the sources and
// tenants it may see when the request names none, or a refusal when it names others.
func (p *Principal) Scope(sources []hooknormv1.Source, tenant string) ([]hooknormv1.Source, []string, error) {
	for _, source := range sources {
		if err := p.AllowSource(source); err != nil {
			return nil, nil, err
		}
	}
	if len(sources) == 0 {
		sources = p.sources
	}
	if tenant != "" {
		if err := p.AllowTenant(tenant); err != nil {
			return nil, nil, err
		}
		return sources, nil, nil
	}
	return sources, p.tenants, nil
}

// Covers refuses a consumer whose events reach beyond the principal's sources and tenants: one
// that takes every source while the token allows some, or a tenant the token does not allow. A
// consumer takes sources (all when empty) and tenant, or tenants when tenant is empty (all when
// both are).
func (p *Principal) Covers(consumer string, sources []hooknormv1.Source, tenant string, tenants []string) error {
	if len(p.sources) > 0 {
		if len(sources) == 0 {
			return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
				"the token %q allows only events of %s, and consumer %q takes events of every source: use a token that allows every source",
				p.Name, sourceNames(p.sources), consumer)
		}
		for _, source := range sources {
			if err := p.AllowSource(source); err != nil {
				return err
			}
		}
	}
	if len(p.tenants) == 0 {
		return nil
	}
	if tenant != "" {
		return p.AllowTenant(tenant)
	}
	if len(tenants) == 0 {
		return rejection.New(hooknormv1.ErrorReason_ERROR_REASON_OUT_OF_SCOPE,
			"the token %q allows only events of tenant %s, and consumer %q takes events of every tenant: use a token that allows every tenant",
			p.Name, quotedList(p.tenants), consumer)
	}
	for _, t := range tenants {
		if err := p.AllowTenant(t); err != nil {
			return err
		}
	}
	return nil
}

// OpenStream counts a new subscription of the principal, refusing it past MaxStreams; the
// returned function ends it.
func (p *Principal) OpenStream() (func(), error) {
	if n := p.streams.Add(1); n > int64(p.MaxStreams) {
		p.streams.Add(-1)
		return nil, rejection.New(hooknormv1.ErrorReason_ERROR_REASON_TOO_MANY_STREAMS,
			"the token %q already holds %d subscriptions open, its limit (max_streams): close one first, "+
				"or ask the operator to raise the token's max_streams", p.Name, p.MaxStreams)
	}
	var once sync.Once
	return func() { once.Do(func() { p.streams.Add(-1) }) }, nil
}

// sourceName is a source as the routes and the tokens file name it: "clickfunnels".
func sourceName(source hooknormv1.Source) string {
	if _, known := hooknormv1.Source_name[int32(source)]; !known || source == hooknormv1.Source_SOURCE_UNSPECIFIED {
		return source.String()
	}
	return strings.ToLower(strings.TrimPrefix(source.String(), "SOURCE_"))
}

// sourceNames lists sources as sourceName names them: "clickfunnels or webflow".
func sourceNames(sources []hooknormv1.Source) string {
	names := make([]string, len(sources))
	for i, source := range sources {
		names[i] = sourceName(source)
	}
	return strings.Join(names, " or ")
}

// quotedList lists values quoted: `"42" or "43"`.
func quotedList(values []string) string {
	quoted := make([]string, len(values))
	for i, value := range values {
		quoted[i] = strconv.Quote(value)
	}
	return strings.Join(quoted, " or ")
}

func orNothing(calls []string) string {
	if len(calls) == 0 {
		return "nothing"
	}
	return strings.Join(calls, ", ")
}
