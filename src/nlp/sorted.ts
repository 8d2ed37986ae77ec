// Binary search and interval occupancy for the analyser's sorted, non-overlapping spans: they keep every per-mention
// and per-match question O(log n) or O(span length), so analysis time grows linearly with the text (issue 15 D1).

/** Index of the first element for which `atOrAfter` is true; `atOrAfter` must be false…false true…true. */
export function firstIndex<T>(items: readonly T[], atOrAfter: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (atOrAfter(items[mid] as T)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The last element with end ≤ at, among spans sorted by start that do not overlap (so also sorted by end). */
export function lastEndingBy<T extends { end: number }>(items: readonly T[], at: number): T | undefined {
  return items[firstIndex(items, (x) => x.end > at) - 1];
}

/** The first element with start ≥ at, among spans sorted by start. */
export function firstStartingAt<T extends { start: number }>(items: readonly T[], at: number): T | undefined {
  return items[firstIndex(items, (x) => x.start >= at)];
}

/** The elements of `items` (sorted by start) that lie inside [start, end), in order: O(log n + hits). */
export function within<T extends { start: number; end: number }>(items: readonly T[], start: number, end: number): T[] {
  const out: T[] = [];
  for (let i = firstIndex(items, (x) => x.start >= start); i < items.length; i++) {
    const x = items[i] as T;
    if (x.start >= end) break;
    if (x.end <= end) out.push(x);
  }
  return out;
}

/**
 * Which code units of a text are taken by spans kept so far. Replaces "does this match overlap any kept one?"
 * scans over all kept spans (quadratic in the number of matches) by a look at the match's own code units.
 */
export class Occupancy {
  private readonly taken: Uint8Array;

  constructor(private readonly offset: number, length: number) {
    this.taken = new Uint8Array(length);
  }

  /** True when any unit of [start, end) is taken. */
  overlaps(start: number, end: number): boolean {
    for (let i = start - this.offset; i < end - this.offset; i++) if (this.taken[i] === 1) return true;
    return false;
  }

  take(start: number, end: number): void {
    this.taken.fill(1, start - this.offset, end - this.offset);
  }
}
