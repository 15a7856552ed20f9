// Which oneof case an event became, read from its JSON with the event types the API lists
// (GET /v1/event-types): each names the JSON path of its case, as "clickfunnels.orderCreated".
const providers = ["clickfunnels", "webflow"];

// byPath indexes event types by their JSON path.
export function byPath(eventTypes) {
  return new Map(eventTypes.map((t) => [t.jsonPath, t]));
}

// caseOf returns {provider, key, type} for event: the provider's field, the case's JSON key and
// the listed event type (null for the unknown case, or when the list is not loaded).
export function caseOf(event, types) {
  for (const provider of providers) {
    const inner = event[provider];
    if (!inner || typeof inner !== "object") continue;
    for (const key of Object.keys(inner)) {
      const type = types.get(provider + "." + key);
      if (type) return { provider, key, type };
    }
    if ("unknown" in inner) return { provider, key: "unknown", type: null };
    return { provider, key: null, type: null };
  }
  return { provider: null, key: null, type: null };
}

// caseName is the case as the docs write it: "clickfunnels.order_created", "webflow.unknown".
export function caseName(c) {
  if (c.type) return c.type.oneofCase;
  if (c.key) return c.provider + "." + c.key;
  return "";
}

// sourceName is a Source as the routes write it: "SOURCE_WEBFLOW" becomes "webflow".
export function sourceName(source) {
  return String(source || "").replace(/^SOURCE_/, "").toLowerCase();
}
