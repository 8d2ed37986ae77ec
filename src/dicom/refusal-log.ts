/**
 * Log lines for connections refused at accept, bounded per source address: the first few in a window are logged
 * one by one, the rest only counted, and the count is logged in one summary line when the window ends (or the
 * listener closes). A host reconnecting in a loop, or a flood, cannot fill the log (issue 15); one refusal still
 * gets its own line.
 */
import type { Logger, LogFields } from '../log.js';

/** Lines per address and window before refusals are only counted (as the MLLP framing faults: the first five). */
export const REFUSALS_LOGGED_PER_WINDOW = 5;
export const REFUSAL_WINDOW_MS = 60_000;
/** Addresses tracked at once; past this, new addresses share one entry (a flood from many addresses). */
const MAX_TRACKED_ADDRESSES = 10_000;
const OTHER_ADDRESSES = 'other addresses';

interface Window {
  startedAt: number;
  logged: number;
  /** Refusals counted but not logged, by error code. */
  suppressed: Map<string, number>;
  timer: NodeJS.Timeout | undefined;
}

export interface RefusalLogOptions {
  perWindow?: number;
  windowMs?: number;
  now?: () => number;
}

export class RefusalLog {
  private readonly windows = new Map<string, Window>();
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly log: Logger,
    options: RefusalLogOptions = {},
  ) {
    this.perWindow = options.perWindow ?? REFUSALS_LOGGED_PER_WINDOW;
    this.windowMs = options.windowMs ?? REFUSAL_WINDOW_MS;
    this.now = options.now ?? Date.now;
  }

  /** One connection from `peer` refused: a warning line, or a count once the window's lines are used up. */
  refused(message: string, fields: LogFields & { code: string; peer: string }): void {
    const key = this.windows.has(fields.peer) || this.windows.size < MAX_TRACKED_ADDRESSES ? fields.peer : OTHER_ADDRESSES;
    let w = this.windows.get(key);
    if (w !== undefined && this.now() - w.startedAt >= this.windowMs) {
      this.end(key, w); // its timer has not run yet (a busy loop, or a clock under test)
      w = undefined;
    }
    if (w === undefined) {
      w = { startedAt: this.now(), logged: 0, suppressed: new Map(), timer: undefined };
      const started = w;
      w.timer = setTimeout(() => this.end(key, started), this.windowMs);
      w.timer.unref();
      this.windows.set(key, w);
    }
    if (w.logged < this.perWindow) {
      w.logged += 1;
      const last = w.logged === this.perWindow;
      this.log.warn(message, last ? { ...fields, note: `further refusals from this address are counted for ${Math.round(this.windowMs / 1000)} s, then logged as one line` } : fields);
    } else {
      w.suppressed.set(fields.code, (w.suppressed.get(fields.code) ?? 0) + 1);
    }
  }

  /** Logs what is still counted and stops the timers (the listener is closing). */
  close(): void {
    for (const [key, w] of [...this.windows]) this.end(key, w);
  }

  private end(key: string, w: Window): void {
    clearTimeout(w.timer);
    if (this.windows.get(key) === w) this.windows.delete(key);
    for (const [code, count] of w.suppressed) {
      this.log.warn('connections refused at accept, not logged one by one', { code, peer: key, count, windowMs: this.windowMs });
    }
    w.suppressed.clear();
  }
}
