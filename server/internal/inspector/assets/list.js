// The list of events, newest first. At most maxRows rows are in the page (the newest); older
// loaded events still count in the glance. Rows are reached with the keyboard: one row takes the
// tab stop, the arrow keys (or j and k) move it, Enter or Space opens the event.
import { caseName, caseOf, sourceName } from "./cases.js";
import { clear, el } from "./dom.js";

export const maxRows = 500;

export class List {
  // tbody holds the rows; open(seq) is called when the user opens an event.
  constructor(tbody, open) {
    this.tbody = tbody;
    this.open = open;
    this.types = new Map();
    this.selected = 0;
    tbody.addEventListener("click", (e) => {
      const row = e.target.closest("tr[data-seq]");
      if (row) this.choose(row);
    });
    tbody.addEventListener("keydown", (e) => this.key(e));
  }

  // reset empties the list.
  reset() {
    clear(this.tbody);
    this.selected = 0;
  }

  // prepend puts items (oldest first) at the top, newest first, and trims the bottom.
  prepend(items, fresh) {
    const rows = document.createDocumentFragment();
    for (let i = items.length - 1; i >= 0; i--) rows.append(this.row(items[i], fresh));
    const hadFocus = this.tbody.querySelector('tr[tabindex="0"]');
    this.tbody.prepend(rows);
    while (this.tbody.rows.length > maxRows) this.tbody.lastElementChild.remove();
    if (!hadFocus || !hadFocus.isConnected) this.rove(this.tbody.querySelector("tr[data-seq]"));
  }

  row(item, fresh) {
    if (item.kind === "gap") {
      const span = item.first === item.last ? `event ${item.first}` : `events ${item.first}–${item.last}`;
      return el("tr", { class: "gap" },
        el("td", { colspan: 7 }, `Gap: ${span} were removed by retention before they could be read.`));
    }
    const ev = item.event;
    const source = sourceName(ev.source);
    const c = caseOf(ev, this.types);
    return el("tr", { "data-seq": item.seq, tabindex: -1, class: fresh ? "fresh" : null, "aria-selected": item.seq === this.selected ? "true" : "false" },
      el("td", { class: "seq" }, String(item.seq)),
      el("td", { title: ev.receivedAt || "" }, shortTime(ev.receivedAt)),
      el("td", {}, el("span", { class: "src " + source }, source)),
      el("td", { title: ev.type || "" }, ev.type || ""),
      el("td", { class: "wide mono", title: caseName(c) }, caseName(c)),
      el("td", { title: ev.tenant || "" }, ev.tenant || ""),
      el("td", { class: "wide id-col mono", title: ev.id || "" }, ev.id || ""));
  }

  // mark shows the row of seq as the selected one.
  mark(seq) {
    this.selected = seq;
    for (const row of this.tbody.querySelectorAll('tr[aria-selected="true"]')) row.setAttribute("aria-selected", "false");
    const row = this.tbody.querySelector(`tr[data-seq="${seq}"]`);
    if (row) row.setAttribute("aria-selected", "true");
  }

  choose(row) {
    this.rove(row);
    this.open(Number(row.dataset.seq));
  }

  // rove gives row the list's tab stop.
  rove(row, focus = false) {
    if (!row) return;
    for (const r of this.tbody.querySelectorAll('tr[tabindex="0"]')) r.tabIndex = -1;
    row.tabIndex = 0;
    if (focus) row.focus();
  }

  key(e) {
    const row = e.target.closest("tr[data-seq]");
    if (!row) return;
    const rows = [...this.tbody.querySelectorAll("tr[data-seq]")];
    const at = rows.indexOf(row);
    const to = { ArrowDown: at + 1, j: at + 1, ArrowUp: at - 1, k: at - 1, Home: 0, End: rows.length - 1 }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      this.rove(rows[Math.max(0, Math.min(rows.length - 1, to))], true);
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      this.choose(row);
    }
  }
}

// shortTime writes an RFC 3339 time as the local time of day, with the date when not today.
function shortTime(value) {
  if (!value) return "";
  const d = new Date(value);
  const time = d.toLocaleTimeString([], { hour12: false });
  return d.toDateString() === new Date().toDateString() ? time : d.toLocaleDateString() + " " + time;
}
