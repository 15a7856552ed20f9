package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/spf13/cobra"
)

// providerAPI calls a provider's REST API (ClickFunnels' or Webflow's) with a bearer token, as
// connect, disconnect and backfill do. It waits out a rate limit (429) for as long as the answer's
// Retry-After says, retries a failure of the provider (5xx) or of the network with a growing
// delay, and says each retry on stderr. Any other error answer ends the call with what the
// provider said.
type providerAPI struct {
	name     string // "ClickFunnels" or "Webflow", for messages
	base     string // the API's base URL, without a trailing slash
	token    string
	tokenFor string // the flag that gives the token, for messages
	client   *http.Client
	stderr   io.Writer
	attempts int // tries per call, the first included
}

// apiAccess are the flags that reach a provider's API: --api-token, or else the provider's
// variable, read when the command runs so that no token shows in --help; and --api-url, the API's
// base URL when it is not the provider's own.
type apiAccess struct {
	token, apiURL string
	getenv        func(string) string
}

func (a *apiAccess) add(cmd *cobra.Command, getenv func(string) string, tokenUsage, urlUsage string) {
	a.getenv = getenv
	cmd.Flags().StringVar(&a.token, "api-token", "", tokenUsage)
	cmd.Flags().StringVar(&a.apiURL, "api-url", "", urlUsage)
}

// tokenOr is --api-token, or else the variable env.
func (a *apiAccess) tokenOr(env string) string {
	if a.token == "" && a.getenv != nil {
		return a.getenv(env)
	}
	return a.token
}

// client returns the client of the named provider's API at base, with the token of --api-token
// or env.
func (a *apiAccess) client(name, base, env string, stderr io.Writer) (*providerAPI, error) {
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usagef("--api-url %q is not an http(s) URL", base)
	}
	return &providerAPI{name: name, base: strings.TrimRight(base, "/"), token: a.tokenOr(env), tokenFor: "--api-token (or " + env + ")",
		client: http.DefaultClient, stderr: stderr, attempts: maxAPIAttempts}, nil
}

// maxAPIAttempts is how many times a call to a provider's API is tried before it fails.
const maxAPIAttempts = 6

// sleep waits for d or until ctx ends; tests replace it to see the waits without waiting.
var sleep = func(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// apiError is an error answer of a provider's API.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// call sends method to path (with query) and a JSON body unless in is nil, and decodes the JSON
// answer into out unless it is nil. It returns the answer's headers.
func (a *providerAPI) call(ctx context.Context, method, path string, query url.Values, in, out any) (http.Header, error) {
	var payload []byte
	if in != nil {
		var err error
		if payload, err = json.Marshal(in); err != nil {
			return nil, err
		}
	}
	target := a.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	delays := &backoff.ExponentialBackOff{InitialInterval: time.Second, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 30 * time.Second}
	delays.Reset()
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return nil, usagef("the %s API URL %q is not a URL: %v", a.name, a.base, err)
		}
		req.Header.Set("Authorization", "Bearer "+a.token)
		req.Header.Set("Accept", "application/json")
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := a.client.Do(req)
		var why string
		var wait time.Duration
		switch {
		case ctx.Err() != nil:
			return nil, interruptedError{fmt.Sprintf("interrupted during %s %s", method, path)}
		case err != nil:
			why, wait = "cannot reach the "+a.name+" API: "+netCause(err), delays.NextBackOff()
		default:
			answer, readErr := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
			resp.Body.Close()
			switch {
			case resp.StatusCode == http.StatusTooManyRequests:
				why, wait = a.name+" limits the rate of calls (429)", retryAfter(resp.Header.Get("Retry-After"), delays.NextBackOff())
			case resp.StatusCode >= 500:
				why, wait = fmt.Sprintf("the %s API failed (%s)", a.name, resp.Status), delays.NextBackOff()
			case resp.StatusCode >= 400:
				return nil, a.refusal(method, path, resp.StatusCode, resp.Status, answer)
			case readErr != nil:
				why, wait = "the answer was cut short: "+readErr.Error(), delays.NextBackOff()
			default:
				if out != nil && len(bytes.TrimSpace(answer)) > 0 {
					if err := json.Unmarshal(answer, out); err != nil {
						return nil, fmt.Errorf("the %s API answered %s %s with what is not the JSON expected: %v", a.name, method, path, err)
					}
				}
				return resp.Header, nil
			}
		}
		if attempt >= a.attempts {
			return nil, fmt.Errorf("%s %s: %s; gave up after %d attempts", method, path, why, attempt)
		}
		fmt.Fprintf(a.stderr, "hooknorm: %s %s: %s; retrying in %s (attempt %d of %d)\n", method, path, why, wait.Round(time.Millisecond), attempt+1, a.attempts)
		if err := sleep(ctx, wait); err != nil {
			return nil, interruptedError{fmt.Sprintf("interrupted while waiting to retry %s %s", method, path)}
		}
	}
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date; otherwise fallback.
func retryAfter(value string, fallback time.Duration) time.Duration {
	value = strings.TrimSpace(value)
	if seconds, err := strconv.Atoi(value); err == nil && seconds >= 0 {
		return time.Duration(seconds) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil {
		return max(time.Until(at), 0)
	}
	return fallback
}

// refusal is the error of a 4xx answer: what the provider said, and what to change.
func (a *providerAPI) refusal(method, path string, code int, status string, answer []byte) error {
	said := providerMessage(answer)
	hint := ""
	switch code {
	case http.StatusUnauthorized:
		hint = "; check " + a.tokenFor
	case http.StatusForbidden:
		hint = "; the token lacks a scope this needs: give one that allows it with " + a.tokenFor
	case http.StatusNotFound:
		hint = "; check the workspace or site id and the API URL"
	}
	// The caller's input (a token, an id, a URL) is what the provider refused: exit code 2.
	return usageError{&apiError{status: code, msg: fmt.Sprintf("the %s API refused %s %s with %s%s%s", a.name, method, path, status, said, hint)}}
}

// providerMessage is what an error answer says, as ": <message>", from the shapes the providers
// use ({"error": "..."}, {"message": "..."}, {"errors": ...}), or "" when there is none.
func providerMessage(answer []byte) string {
	var body struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
		Errors  any    `json:"errors"`
	}
	if json.Unmarshal(answer, &body) != nil {
		return ""
	}
	for _, v := range []any{body.Message, body.Error, body.Errors} {
		switch v := v.(type) {
		case string:
			if v != "" {
				return ": " + v
			}
		case nil:
		default:
			if text, err := json.Marshal(v); err == nil && string(text) != "null" {
				return ": " + string(text)
			}
		}
	}
	return ""
}

// isAPIStatus reports whether err is an error answer with status code.
func isAPIStatus(err error, code int) bool {
	var e *apiError
	return errors.As(err, &e) && e.status == code
}
