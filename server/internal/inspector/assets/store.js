// Store keeps what the list has loaded, oldest first: events and the gaps between them. It is
// bounded: past maxItems the oldest are dropped, so a page left open for days stays fast.
export const maxItems = 5000;

export class Store {
  constructor() {
    this.items = []; // {kind: "event", seq, event, at} or {kind: "gap", first, last}
    this.bySeq = new Map();
    this.dropped = 0;
  }

  // add appends an item and drops the oldest past maxItems.
  add(item) {
    this.items.push(item);
    if (item.kind === "event") this.bySeq.set(item.seq, item);
    if (this.items.length > maxItems) {
      for (const old of this.items.splice(0, this.items.length - maxItems)) {
        if (old.kind === "event") this.bySeq.delete(old.seq);
        this.dropped++;
      }
    }
  }

  // events are the loaded events, oldest first.
  events() {
    return this.items.filter((item) => item.kind === "event");
  }
}
