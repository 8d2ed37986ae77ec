/**
 * The scheduling shared by job workers and outbox deliveries: run `drain` when notified (coalescing
 * notifications that arrive while it runs) and again at the earliest due time of the queue.
 */
export class WakeLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly drain: () => Promise<void>,
    private readonly nextDueMs: () => number | undefined,
    private readonly now: () => number,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  notify(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.notify();
      } else this.armTimer();
    });
  }

  /** Stops scheduling; resolves when the drain in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private armTimer(): void {
    if (this.stopped) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const due = this.nextDueMs();
    if (due === undefined) return;
    this.timer = setTimeout(() => this.notify(), Math.max(0, due - this.now()) + 5);
    this.timer.unref();
  }
}
