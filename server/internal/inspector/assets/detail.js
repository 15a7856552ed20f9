// The detail of one event: the typed event as a tree, its raw body as received (read on demand
// with include_raw), its envelope fields, a link to its type in the schema, and copy buttons.
import { caseName, caseOf, sourceName } from "./cases.js";
import { curl, replay } from "./commands.js";
import { $, clear, el } from "./dom.js";
import { tree } from "./jsontree.js";
import { fetchEvent } from "./stream.js";

export class Detail {
  constructor(onClose) {
    this.section = $("detail");
    this.current = null;
    $("detail-close").addEventListener("click", onClose);
    $("copy-json").addEventListener("click", () => this.copy(JSON.stringify(this.current.event, null, 2), "event JSON"));
    $("copy-curl").addEventListener("click", () => this.copy($("curl-text").textContent, "curl"));
    $("copy-replay").addEventListener("click", () => this.copy($("replay-text").textContent, "replay command"));
  }

  // show shows item's event; types are the listed event types by JSON path, filter the list's.
  show(item, types, filter) {
    const ev = item.event;
    this.current = item;
    this.section.hidden = false;
    const c = caseOf(ev, types);
    $("detail-title").textContent = ev.type || "(no type)";
    const caseLine = $("detail-case");
    clear(caseLine);
    if (c.type) {
      caseLine.append("Case ", el("a", { href: "#schema/" + c.type.oneofCase, class: "case-badge" }, c.type.oneofCase),
        " of message ", el("code", {}, c.type.message));
    } else if (c.key === "unknown") {
      caseLine.append("Case ", el("span", { class: "case-badge" }, caseName(c)),
        ": hooknorm does not know this type, and keeps its whole payload. ", el("a", { href: "#schema" }, "Known types"));
    }
    const meta = $("detail-meta");
    clear(meta);
    const rows = [["sequence", item.seq], ["id", ev.id], ["source", sourceName(ev.source)], ["tenant", ev.tenant],
      ["received", ev.receivedAt], ["occurred", ev.occurredAt], ["traceparent", ev.traceparent]];
    for (const [name, value] of rows) {
      if (value === undefined || value === "") continue;
      meta.append(el("dt", {}, name), el("dd", {}, String(value)));
    }
    const shown = { ...ev };
    delete shown.rawPayload;
    const view = $("detail-tree");
    clear(view);
    view.append(tree(shown, c.key ? [c.provider, c.key] : [], c.type ? c.type.message : ""));
    $("replay-text").textContent = replay(item.seq, filter);
    $("copy-done").textContent = "";
    this.loadRaw(item);
  }

  // loadRaw reads the event's raw body from the log and shows it, with the curl that re-sends it.
  async loadRaw(item) {
    const raw = $("detail-raw");
    raw.textContent = "reading the raw body…";
    $("curl-text").textContent = "";
    $("copy-curl").disabled = true;
    let text;
    try {
      const stored = await fetchEvent(item.seq);
      text = stored ? decode(stored.rawPayload) : null;
    } catch (err) {
      if (this.current === item) raw.textContent = "The raw body could not be read: " + err.message;
      return;
    }
    if (this.current !== item) return;
    if (text === null) {
      raw.textContent = "The log no longer holds this event (retention removed it).";
      return;
    }
    raw.textContent = text;
    $("curl-text").textContent = curl(item.event, text, location.origin);
    $("copy-curl").disabled = false;
  }

  hide() {
    this.current = null;
    this.section.hidden = true;
  }

  // copy puts text on the clipboard and says so; where the browser allows no clipboard (a page
  // not served from localhost or HTTPS), it says where to copy the text from by hand.
  async copy(text, what) {
    const done = $("copy-done");
    try {
      await navigator.clipboard.writeText(text);
      done.textContent = `Copied the ${what}.`;
    } catch {
      done.textContent = `This browser gives the page no clipboard (it needs localhost or HTTPS): select the ${what} and copy it by hand.`;
      document.querySelector("details.commands").open = true;
    }
  }
}

// decode turns a base64 body into text, as UTF-8; bytes that are not UTF-8 show as U+FFFD.
function decode(base64) {
  const bytes = Uint8Array.from(atob(base64 || ""), (ch) => ch.charCodeAt(0));
  return new TextDecoder("utf-8").decode(bytes);
}
