// The filters of the list, which are the stream's own: sources, exact types, type prefixes and a
// tenant. The page's address holds them (?sources=webflow&type_prefixes=orders/&tenant=42), with
// the API's parameter names, so a filtered view can be bookmarked and shared.

// fromURL reads the filter of the page's address.
export function fromURL(search = location.search) {
  const q = new URLSearchParams(search);
  const list = (name) => q.getAll(name).flatMap(split);
  return { sources: list("sources"), types: list("types"), typePrefixes: list("type_prefixes"), tenant: (q.get("tenant") || "").trim() };
}

// toURL writes filter into the page's address, keeping its #view.
export function toURL(filter) {
  const q = new URLSearchParams();
  for (const s of filter.sources) q.append("sources", s);
  for (const t of filter.types) q.append("types", t);
  for (const p of filter.typePrefixes) q.append("type_prefixes", p);
  if (filter.tenant) q.set("tenant", filter.tenant);
  const query = q.toString();
  history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
}

// fromForm reads the filter the form shows.
export function fromForm(form) {
  const data = new FormData(form);
  return {
    sources: data.getAll("sources").map(String),
    types: split(String(data.get("types") || "")),
    typePrefixes: split(String(data.get("type_prefixes") || "")),
    tenant: String(data.get("tenant") || "").trim(),
  };
}

// toForm shows filter in the form.
export function toForm(form, filter) {
  for (const box of form.querySelectorAll('input[name="sources"]')) box.checked = filter.sources.includes(box.value);
  form.elements.types.value = filter.types.join(", ");
  form.elements.type_prefixes.value = filter.typePrefixes.join(", ");
  form.elements.tenant.value = filter.tenant;
}

// same reports whether two filters ask for the same events.
export function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

// isEmpty reports whether filter keeps every event.
export function isEmpty(filter) {
  return !filter.sources.length && !filter.types.length && !filter.typePrefixes.length && !filter.tenant;
}

function split(value) {
  return value.split(",").map((v) => v.trim()).filter(Boolean);
}
