// A collapsible view of an event's JSON, built from <details> elements, so it opens and closes
// with the mouse or the keyboard (Enter, Space). The oneof case is highlighted with its message
// name, and an extra object (fields the schema does not model, kept as delivered) is marked with
// everything in it. Every key and value is text.
import { el } from "./dom.js";

// maxChildren bounds how many members of one object or array are shown.
const maxChildren = 1000;

// tree renders value; casePath is the path of the case's key, as ["clickfunnels", "orderCreated"],
// and message the name of the case's message.
export function tree(value, casePath = [], message = "") {
  return node(null, value, [], { casePath, message }, false, 0);
}

function node(key, value, path, opts, inExtra, depth) {
  const isCase = key !== null && path.length === opts.casePath.length && path.every((p, i) => p === opts.casePath[i]);
  const isExtra = key === "extra" && value !== null && typeof value === "object";
  const label = [];
  if (key !== null) {
    label.push(el("span", { class: isCase ? "key case-key" : isExtra ? "key extra-key" : "key" }, JSON.stringify(String(key))), ": ");
  }
  const notes = [];
  if (isCase && opts.message) notes.push(el("span", { class: "msg", title: "the case's message" }, opts.message));
  if (isExtra) notes.push(el("span", { class: "mark" }, "not modelled by the schema: kept as delivered"));
  const marked = inExtra || isExtra;

  if (value === null || typeof value !== "object") {
    return el("div", { class: marked ? "leaf in-extra" : "leaf" }, label, scalar(value), notes);
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const open = depth < 2 || isCase || opts.casePath.slice(0, path.length).every((p, i) => p === path[i]) && path.length < opts.casePath.length;
  const brackets = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  const details = el("details", { class: marked ? "in-extra" : null, open: open || depth === 0 },
    el("summary", {}, label, el("span", { class: "count" }, brackets), notes));
  for (const [k, v] of entries.slice(0, maxChildren)) {
    details.append(node(k, v, path.concat(String(k)), opts, marked, depth + 1));
  }
  if (entries.length > maxChildren) {
    details.append(el("div", { class: "leaf count" }, `… ${entries.length - maxChildren} more not shown`));
  }
  return details;
}

function scalar(value) {
  if (typeof value === "string") return el("span", { class: "str" }, JSON.stringify(value));
  if (typeof value === "number") return el("span", { class: "num" }, String(value));
  return el("span", { class: "lit" }, String(value));
}
