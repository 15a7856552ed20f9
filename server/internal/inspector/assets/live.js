// Live follows the event stream for a filter: it starts with the most recent events, follows
// new ones as they are stored, and, when the connection drops or goes quiet for longer than a
// heartbeat allows, reconnects after the last sequence it saw, so nothing is lost or repeated.
import { APIError } from "./api.js";
import { readStream, seq, subscribeURL } from "./stream.js";

// How many sequences back the list starts: the last 100 events, or, with a filter, the matching
// ones among the last 5000 (the server filters, so only matches travel).
const backlog = 100;
const filteredBacklog = 5000;

// stallAfter is how long the stream may stay silent before it is taken for dead. hooknormd sends
// a heartbeat at least every --heartbeat (15 s by default) while nothing else is sent.
const stallAfter = 40000;

class Stalled extends Error {}

// final are the reasons retrying cannot fix: a refused filter or token, an API that does not
// serve the stream.
const final = ["INVALID_REQUEST", "OUT_OF_SCOPE", "TOKEN_MISSING", "TOKEN_INVALID", "ROUTE_NOT_FOUND",
  "METHOD_NOT_ALLOWED", "NOT_IMPLEMENTED"];

// retryable reports whether a failure is worth reconnecting after: the network, a stall, an
// unavailable log, too many streams, a server error; not a refusal of the request itself.
function retryable(err) {
  if (!(err instanceof APIError)) return true;
  if (final.includes(err.reason)) return false;
  return err.httpStatus === 0 || err.httpStatus === 408 || err.httpStatus === 429 || err.httpStatus >= 500;
}

export class Live {
  // handlers: onEvent(event), onGap(first, last), onState(state, detail), onRefused(err).
  constructor(filter, handlers) {
    this.filter = filter;
    this.h = handlers;
    this.cursor = null; // the last sequence delivered or passed; -1: from the earliest
    this.lastMessageAt = 0;
    this.stopped = false;
    this.abort = new AbortController();
  }

  // stop ends the subscription for good.
  stop() {
    this.stopped = true;
    this.abort.abort();
  }

  // run follows the stream until stop, or until a refusal that retrying cannot fix.
  async run() {
    let attempt = 0;
    while (!this.stopped) {
      let failure = null;
      try {
        if (this.cursor === null) this.cursor = await this.startingPoint();
        await this.follow(() => { attempt = 0; });
      } catch (err) {
        failure = err;
      }
      if (this.stopped) return;
      if (failure instanceof APIError && failure.reason === "CURSOR_AHEAD") {
        this.cursor = null; // the log was recreated: start again from its newest events
      } else if (failure && !retryable(failure)) {
        this.h.onState("stopped", { error: failure });
        this.h.onRefused(failure);
        return;
      }
      attempt++;
      const delay = Math.min(15000, 500 * 2 ** Math.min(attempt, 5));
      this.h.onState("reconnecting", { delay, attempt, error: failure });
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.abort.signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
      });
    }
  }

  // startingPoint reads where the log ends, from the opening heartbeat of a stream of new events
  // only, and returns the cursor to start from to see the most recent events first.
  async startingPoint() {
    const probe = new AbortController();
    const stop = () => probe.abort();
    this.abort.signal.addEventListener("abort", stop, { once: true });
    let latest = 0;
    try {
      await readStream(subscribeURL(this.filter, {}), probe.signal, (message) => {
        if (message.heartbeat) {
          latest = seq(message.heartbeat.latestSequence);
          probe.abort();
        }
      });
    } catch (err) {
      if (!probe.signal.aborted) throw err;
    } finally {
      this.abort.signal.removeEventListener("abort", stop);
    }
    const filtered = this.filter.sources.length || this.filter.types.length || this.filter.typePrefixes.length || this.filter.tenant;
    const back = filtered ? filteredBacklog : backlog;
    return latest > back ? latest - back : -1;
  }

  // follow reads one connection of the stream, from the cursor on, until it ends.
  async follow(connected) {
    const conn = new AbortController();
    const stop = () => conn.abort();
    this.abort.signal.addEventListener("abort", stop, { once: true });
    let watchdog = 0;
    const kick = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => conn.abort(new Stalled("no message for " + stallAfter / 1000 + " s")), stallAfter);
    };
    kick();
    const start = this.cursor < 0 ? { earliest: true } : { after: this.cursor };
    let first = true;
    try {
      await readStream(subscribeURL(this.filter, start), conn.signal, (message) => {
        kick();
        this.lastMessageAt = Date.now();
        if (first) {
          first = false;
          connected();
          this.h.onState("live", {});
        }
        if (message.event) {
          const n = seq(message.event.sequence);
          if (n <= this.cursor) return; // already shown
          this.cursor = n;
          this.h.onEvent(message.event);
        } else if (message.gap) {
          this.h.onGap(seq(message.gap.firstSequence), seq(message.gap.lastSequence));
          this.cursor = Math.max(this.cursor, seq(message.gap.lastSequence));
        } else if (message.heartbeat) {
          const c = seq(message.heartbeat.cursor);
          if (c > 0) this.cursor = Math.max(this.cursor, c);
          this.h.onState("live", { heartbeat: message.heartbeat });
        }
      });
    } catch (err) {
      if (conn.signal.aborted && conn.signal.reason instanceof Stalled) throw conn.signal.reason;
      throw err;
    } finally {
      clearTimeout(watchdog);
      this.abort.signal.removeEventListener("abort", stop);
    }
    throw new Error("the stream ended"); // hooknormd stopping: resume from the cursor
  }
}
