import type { Clock } from '../../src/queue/index.js';

/** A clock whose time moves only when the test says so; `early` makes timers fire that many ms too soon (as Node's can). */
export class FakeClock implements Clock {
  t = 1_000_000;
  early = 0;
  private timers: Array<{ at: number; fn: () => void; live: boolean }> = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms - this.early, fn, live: true };
    this.timers.push(timer);
    return { cancel: () => (timer.live = false) };
  }

  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
    this.timers = this.timers.filter((x) => x.live);
  }

  /** Live timers, for asserting that something is (or is not) scheduled. */
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}
