// The inspector's page: it wires the live stream, the list, the detail, the glance, the filters
// and the event types view together. Everything it shows comes from hooknormd's HTTP API.
import * as api from "./api.js";
import { byPath } from "./cases.js";
import { Detail } from "./detail.js";
import { $ } from "./dom.js";
import * as filters from "./filters.js";
import * as glance from "./glance.js";
import { List, maxRows } from "./list.js";
import { Live } from "./live.js";
import * as schema from "./schema.js";
import { maxItems, Store } from "./store.js";

const state = {
  filter: filters.fromURL(),
  store: new Store(),
  live: null,
  status: "connecting",
  statusDetail: {},
  paused: false,
  pending: [], // what arrived while paused, oldest first
  unrendered: [], // what the list shows at the next frame, oldest first
  frame: 0,
  typesByPath: new Map(),
};

const list = new List($("event-rows"), open);
const detail = new Detail(closeDetail);

// start (re)opens the stream for the current filter, with an empty list.
function start() {
  if (state.live) state.live.stop();
  state.store = new Store();
  state.pending = [];
  state.unrendered = [];
  list.reset();
  closeDetail();
  $("error").hidden = true;
  redraw();
  state.live = new Live(state.filter, {
    onEvent: (event) => arrive({ kind: "event", seq: Number(event.sequence), event }),
    onGap: (first, last) => arrive({ kind: "gap", first, last }),
    onState: (status, detail) => {
      state.status = status;
      state.statusDetail = detail;
      showStatus();
    },
    onRefused: refused,
  });
  state.live.run();
}

// arrive takes one stream item: into the list, or held while paused.
function arrive(item) {
  if (state.paused) {
    state.pending.push(item);
    if (state.pending.length > maxItems) state.pending.splice(0, state.pending.length - maxItems);
    showStatus();
    return;
  }
  accept(item);
}

function accept(item) {
  state.store.add(item);
  state.unrendered.push(item);
  if (state.unrendered.length > maxRows) state.unrendered.splice(0, state.unrendered.length - maxRows);
  if (!state.frame) state.frame = requestAnimationFrame(redraw);
}

// redraw puts what arrived into the list and redraws the glance, at most once a frame.
function redraw() {
  state.frame = 0;
  if (state.unrendered.length) {
    list.prepend(state.unrendered, true);
    state.unrendered = [];
  }
  const events = state.store.events();
  glance.render(events);
  $("empty").hidden = state.store.items.length > 0;
  const shown = Math.min(maxRows, state.store.items.length);
  let note = `${events.length} event${events.length === 1 ? "" : "s"} loaded, newest first`;
  if (state.store.items.length > shown) note += `; the newest ${shown} are listed`;
  if (state.store.dropped) note += `; ${state.store.dropped} older ones were let go to keep the page fast`;
  if (!filters.isEmpty(state.filter)) note += ". Filtered: only matching events travel.";
  $("list-note").textContent = note;
  showStatus();
}

// showStatus says whether the stream is live, and how long ago the last event was stored.
function showStatus() {
  const box = $("status");
  const text = $("status-text");
  let status = state.status;
  let words = "connecting…";
  if (status === "live") {
    const newest = state.store.events().at(-1);
    if (newest) {
      const ago = Math.max(0, Math.round((Date.now() - Date.parse(newest.event.receivedAt)) / 1000));
      words = `live · last event ${ago < 120 ? ago + " s" : Math.round(ago / 60) + " min"} ago`;
    } else {
      words = "live · no events yet";
    }
    if (state.paused) {
      status = "paused";
      words = `paused · ${state.pending.length} new held`;
    }
  } else if (status === "reconnecting") {
    const d = state.statusDetail;
    const why = d.error ? `: ${d.error.message}` : "";
    words = `reconnecting (attempt ${d.attempt})${why}`;
  } else if (status === "stopped") {
    words = "stopped";
  }
  box.dataset.state = status;
  text.textContent = words;
}

// refused shows why the stream or a call was refused, asking for a token when that is why.
function refused(err) {
  if (err.httpStatus === 401 || err.reason === "TOKEN_MISSING" || err.reason === "TOKEN_INVALID") {
    $("token-why").textContent = api.token()
      ? "hooknormd does not accept this token: " + err.message
      : "This hooknormd requires a bearer token.";
    $("token-form").hidden = false;
    $("token-input").focus();
    return;
  }
  const box = $("error");
  box.textContent = `hooknormd refused: ${err.message}` + (err.reason ? ` (${err.reason})` : "");
  box.hidden = false;
}

function open(seq) {
  const item = state.store.bySeq.get(seq);
  if (!item) return;
  list.mark(seq);
  $("events-view").querySelector(".split").classList.add("with-detail");
  detail.show(item, state.typesByPath, state.filter);
}

function closeDetail() {
  detail.hide();
  $("events-view").querySelector(".split").classList.remove("with-detail");
  const row = document.querySelector('#event-rows tr[tabindex="0"]');
  if (row && document.activeElement && $("detail").contains(document.activeElement)) row.focus();
}

function setPaused(paused) {
  state.paused = paused;
  $("pause").setAttribute("aria-pressed", String(paused));
  $("pause").textContent = paused ? "Resume" : "Pause";
  if (!paused) {
    const held = state.pending;
    state.pending = [];
    for (const item of held) accept(item);
  }
  showStatus();
}

// applyFilter shows the events of filter, in the form and the address too.
function applyFilter(filter) {
  filters.toForm($("filters"), filter);
  filters.toURL(filter);
  if (filters.same(filter, state.filter) && state.live) return;
  state.filter = filter;
  start();
}

async function loadSchema() {
  try {
    const answer = await api.getJSON("/v1/event-types");
    const types = answer.eventTypes || [];
    state.typesByPath = byPath(types);
    list.types = state.typesByPath;
    schema.render(types, (type) => {
      location.hash = "#events";
      applyFilter({ sources: [], types: [type], typePrefixes: [], tenant: "" });
    });
    route();
  } catch (err) {
    if (err instanceof api.APIError) refused(err);
  }
}

// route shows the view the address names: #schema[/<case>] or the events.
function route() {
  const hash = decodeURIComponent(location.hash.slice(1));
  const onSchema = hash === "schema" || hash.startsWith("schema/");
  $("schema-view").hidden = !onSchema;
  $("events-view").hidden = onSchema;
  const [current, other] = onSchema ? ["nav-schema", "nav-events"] : ["nav-events", "nav-schema"];
  $(current).setAttribute("aria-current", "page");
  $(other).removeAttribute("aria-current");
  if (hash.startsWith("schema/")) schema.highlight(hash.slice("schema/".length));
}

$("filters").addEventListener("submit", (e) => {
  e.preventDefault();
  applyFilter(filters.fromForm(e.target));
});
for (const box of document.querySelectorAll('#filters input[name="sources"]')) {
  box.addEventListener("change", () => applyFilter(filters.fromForm($("filters"))));
}
$("clear-filters").addEventListener("click", () => applyFilter({ sources: [], types: [], typePrefixes: [], tenant: "" }));
$("pause").addEventListener("click", () => setPaused(!state.paused));
$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  api.setToken($("token-input").value.trim());
  $("token-input").value = "";
  $("token-form").hidden = true;
  $("forget-token").hidden = false;
  loadSchema();
  start();
});
$("forget-token").addEventListener("click", () => {
  api.setToken("");
  $("forget-token").hidden = true;
  start();
});
$("schema-filter").addEventListener("input", (e) => schema.filter(e.target.value));
window.addEventListener("hashchange", route);
document.addEventListener("keydown", (e) => {
  const typing = e.target.closest("input, textarea, select");
  if (e.key === "Escape" && !$("detail").hidden) closeDetail();
  else if (e.key === "p" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) setPaused(!state.paused);
});
setInterval(showStatus, 1000);
setInterval(() => glance.render(state.store.events()), 30000);
window.addEventListener("resize", () => {
  if (!state.frame) state.frame = requestAnimationFrame(redraw);
});

$("forget-token").hidden = !api.token();
filters.toForm($("filters"), state.filter);
route();
loadSchema().finally(start); // the list names each event's case from the event types
