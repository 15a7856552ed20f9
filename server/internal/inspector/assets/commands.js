// The commands the detail offers to copy: a curl that re-sends an event's raw body to this
// hooknormd's webhook route, and the hooknorm replay that delivers it and every later event.
import { sourceName } from "./cases.js";

// shellQuote quotes value for a POSIX shell, exactly: between single quotes, with each single
// quote written as '\''. Newlines and every other byte stay as they are.
export function shellQuote(value) {
  return "'" + String(value).replaceAll("'", "'\\''") + "'";
}

// curl is a curl command that posts raw, the event's body as received, to the webhook route of
// its source at origin, with its tenant, and for a Webflow API v1 delivery its trigger type in
// the path, as the provider would have.
export function curl(event, raw, origin) {
  const source = sourceName(event.source);
  let path = "/v1/webhooks/" + source;
  if (event.webflow && String(event.webflow.apiVersion) === "1" && event.type) path += "/" + encodeURIComponent(event.type);
  if (event.tenant) path += "?tenant=" + encodeURIComponent(event.tenant);
  return ["curl -sS -X POST " + shellQuote(origin + path),
    "  -H 'Content-Type: application/json'",
    "  --data-binary " + shellQuote(raw)].join(" \\\n");
}

// replay is the hooknorm replay command that starts at the event of sequence seq, with the
// list's filter, delivering to a placeholder endpoint the user replaces.
export function replay(seq, filter) {
  const args = ["hooknorm replay", "--after " + (seq - 1)];
  for (const s of filter.sources) args.push("--source " + shellQuote(s));
  for (const t of filter.types) args.push("--type " + shellQuote(t));
  for (const p of filter.typePrefixes) args.push("--type-prefix " + shellQuote(p));
  if (filter.tenant) args.push("--tenant " + shellQuote(filter.tenant));
  args.push("--to http://localhost:3000/hooks");
  return args.join(" ");
}
