/** Time for queues and timers, injected so tests move it by hand instead of sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    // A pending wake-up must not keep a stopping process alive.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
