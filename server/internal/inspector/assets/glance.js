// At a glance: counts of the loaded events by source and by type, and events per minute over the
// last half hour as a small bar chart drawn in SVG, so a stop in arrivals shows at once.
import { sourceName } from "./cases.js";
import { $, clear, el, svg } from "./dom.js";

const minutes = 30;
const height = 72;
const axis = 12; // room for the labels under the bars

// render draws the glance for events (store items of kind "event"), at now (ms).
export function render(events, now = Date.now()) {
  counts($("counts-sources"), events, (ev) => sourceName(ev.source), 2);
  counts($("counts-types"), events, (ev) => ev.type || "(none)", 12);
  chart(events, now);
}

function counts(list, events, key, shown) {
  const tally = new Map();
  for (const item of events) {
    const k = key(item.event);
    tally.set(k, (tally.get(k) || 0) + 1);
  }
  const sorted = [...tally].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  clear(list);
  for (const [name, n] of sorted.slice(0, shown)) list.append(el("li", {}, el("span", { title: name }, name), el("span", {}, String(n))));
  if (sorted.length > shown) list.append(el("li", {}, el("span", {}, `${sorted.length - shown} more`), el("span", {}, "")));
  if (!sorted.length) list.append(el("li", {}, el("span", {}, "none loaded"), el("span", {}, "")));
}

function chart(events, now) {
  const thisMinute = Math.floor(now / 60000);
  const perMinute = new Array(minutes).fill(0);
  for (const item of events) {
    const at = Date.parse(item.event.receivedAt);
    if (Number.isNaN(at)) continue;
    const ago = thisMinute - Math.floor(at / 60000);
    if (ago >= 0 && ago < minutes) perMinute[minutes - 1 - ago]++;
  }
  const box = $("chart");
  const width = Math.max(120, box.clientWidth || 300); // drawn at its size, so text is not stretched
  const top = Math.max(1, ...perMinute);
  const slot = width / minutes;
  const plot = height - axis;
  const drawing = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-caption" });
  perMinute.forEach((n, i) => {
    const h = n ? Math.max(2, (n / top) * (plot - 10)) : 0;
    const ago = minutes - 1 - i;
    drawing.append(svg("rect", { class: ago === 0 ? "bar-rect now" : "bar-rect", x: (i * slot + 1).toFixed(1), y: (plot - h).toFixed(1), width: (slot - 2).toFixed(1), height: h.toFixed(1) },
      svg("title", {}, `${n} event${n === 1 ? "" : "s"} ${ago === 0 ? "this minute" : ago + " min ago"}`)));
  });
  drawing.append(svg("line", { class: "axis", x1: 0, x2: width, y1: plot + 0.5, y2: plot + 0.5 }));
  drawing.append(svg("text", { x: 0, y: height - 1 }, `${minutes} min ago`));
  drawing.append(svg("text", { x: width, y: height - 1, "text-anchor": "end" }, "now"));
  drawing.append(svg("text", { x: 2, y: 9 }, `max ${top}/min`));
  clear(box);
  box.append(drawing);
  const last = perMinute[minutes - 1];
  const total = perMinute.reduce((a, b) => a + b, 0);
  $("chart-caption").textContent = `Events per minute, last ${minutes} minutes: ${total} in all, ${last} this minute`;
}
