// Reading GET /v1/events:subscribe, the API's NDJSON stream: one {"result": message} per line,
// message being {event}, {heartbeat} or {gap}, or a last {"error": body} line when the stream
// ends in error. Sequences are uint64, written as JSON strings; the page reads them as numbers.
import { APIError, headers, refusal } from "./api.js";

// subscribeURL is the stream's URL for filter ({sources, types, typePrefixes, tenant}) and start
// ({earliest: true}, {after: n}, or {} for new events only).
export function subscribeURL(filter, start, includeRaw = false) {
  const q = new URLSearchParams();
  for (const s of filter.sources || []) q.append("sources", s);
  for (const t of filter.types || []) q.append("types", t);
  for (const p of filter.typePrefixes || []) q.append("type_prefixes", p);
  if (filter.tenant) q.set("tenant", filter.tenant);
  if (start.earliest) q.set("earliest", "true");
  else if (start.after !== undefined) q.set("after_sequence", String(start.after));
  if (includeRaw) q.set("include_raw", "true");
  const query = q.toString();
  return "/v1/events:subscribe" + (query ? "?" + query : "");
}

// readStream opens url and calls onMessage with each stream message until the stream ends, signal
// aborts it, or onMessage throws. A refusal, before the stream or as its last line, is thrown as
// an APIError.
export async function readStream(url, signal, onMessage) {
  const response = await fetch(url, { headers: headers(), signal, cache: "no-store" });
  if (!response.ok) throw await refusal(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 1);
        if (!line) continue;
        const frame = JSON.parse(line);
        if (frame.error) throw new APIError(0, frame.error);
        if (frame.result) onMessage(frame.result);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// seq reads a sequence (a JSON string or number) as a number; 0 when absent.
export function seq(value) {
  return Number(value || 0);
}

const found = Symbol("found");

// fetchEvent reads the one event of sequence n with its raw body, by subscribing after n-1 and
// stopping at the first message past it. It returns null when the log no longer holds the event
// (or the token may not see it).
export async function fetchEvent(n) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15000);
  let event = null;
  try {
    const start = n > 1 ? { after: n - 1 } : { earliest: true };
    await readStream(subscribeURL({}, start, true), abort.signal, (message) => {
      if (message.event) {
        if (seq(message.event.sequence) === n) event = message.event;
        throw found;
      }
      if (message.gap && seq(message.gap.lastSequence) >= n) throw found;
      if (message.heartbeat && seq(message.heartbeat.cursor) >= n) throw found;
    });
  } catch (err) {
    if (err !== found) throw err;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return event;
}
