// The few checks the example makes, each failing with what was looked at, what came and what
// was wanted.

/** Mismatch is thrown when hooknormd answers something other than what the example expects. */
export class Mismatch extends Error {
  override name = "Mismatch";
}

/** expectEqual throws a Mismatch naming what unless got is want. */
export function expectEqual<T>(what: string, got: T, want: T): void {
  if (got !== want) {
    throw new Mismatch(`${what}: got ${show(got)}, want ${show(want)}`);
  }
}

/** expectThat throws a Mismatch naming what, with detail, unless holds is true. */
export function expectThat(what: string, holds: boolean, detail: string): void {
  if (!holds) {
    throw new Mismatch(`${what}: ${detail}`);
  }
}

/** present returns value, or throws a Mismatch naming what when it is missing. */
export function present<T>(what: string, value: T | undefined | null): T {
  if (value === undefined || value === null) {
    throw new Mismatch(`${what}: missing`);
  }
  return value;
}

function show(value: unknown): string {
  return typeof value === "bigint" ? `${value}n` : JSON.stringify(value) ?? String(value);
}
