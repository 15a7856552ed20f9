// The event types view: every type hooknorm knows, from GET /v1/event-types (ListEventTypes),
// with its case, the JSON path of the case and its message; #schema/<case> highlights one.
import { sourceName } from "./cases.js";
import { $, clear, el } from "./dom.js";

// render lists types; showEvents(type) is called to list the events of one type.
export function render(types, showEvents) {
  const body = $("schema-rows");
  clear(body);
  for (const t of types) {
    const others = t.otherTypes && t.otherTypes.length ? ` (also ${t.otherTypes.join(", ")})` : "";
    const show = el("button", { type: "button", title: `List the events of type ${t.type}` }, "events");
    show.addEventListener("click", () => showEvents(t.type));
    body.append(el("tr", { id: "type-" + t.oneofCase, "data-search": [sourceName(t.source), t.type, others, t.oneofCase, t.message].join(" ").toLowerCase() },
      el("td", {}, sourceName(t.source)),
      el("td", {}, t.type + others),
      el("td", {}, t.oneofCase),
      el("td", { class: "wide" }, t.jsonPath),
      el("td", {}, t.message),
      el("td", {}, show)));
  }
}

// highlight marks the row of the case named and scrolls to it.
export function highlight(oneofCase) {
  for (const row of document.querySelectorAll("#schema-rows tr.highlight")) row.classList.remove("highlight");
  const row = document.getElementById("type-" + oneofCase);
  if (!row) return;
  row.classList.add("highlight");
  row.scrollIntoView({ block: "center" });
}

// filter shows only the rows containing text.
export function filter(text) {
  const needle = text.trim().toLowerCase();
  for (const row of $("schema-rows").rows) row.hidden = needle !== "" && !row.dataset.search.includes(needle);
}
