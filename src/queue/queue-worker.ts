/**
 * The one worker loop for every queue partition (an analysis job kind, report processing, one outbox
 * destination): claims due items with a lease up to its concurrency, keeps each lease alive while the handler
 * runs, records done / retry with back-off / dead letter, and wakes on `notify()` or at the partition's next due
 * time. `stop()` claims nothing more and waits for the work in hand.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { retryAt, type BackoffPolicy } from './backoff.js';
import type { Clock } from './clock.js';
import type { FailResult, Queue, QueueItem } from './queue.js';

/**
 * What a handler says about one item. `failed` gives up at once (a dead letter); `retry` backs off; `released` hands
 * the item back due now without counting the attempt (a stop interrupted it: the item itself did nothing wrong).
 */
export type HandlerOutcome = { kind: 'done'; note?: string } | { kind: 'retry'; reason: string } | { kind: 'failed'; reason: string } | { kind: 'released'; reason: string };

/** How an item was settled: the outcome as recorded in the queue. */
export type Settlement = { kind: 'done' } | { kind: 'released' } | { kind: 'retrying'; atMs: number } | { kind: Exclude<FailResult, 'retrying'> };

export interface RetryPolicy extends BackoffPolicy {
  /** Items older than this become dead letters on their next failure, even with attempts left. */
  maxAgeMs?: number;
}

export interface QueueWorkerOptions<T extends QueueItem> {
  queue: Queue<T, unknown>;
  partition: string;
  owner: string;
  /** Items handled at once. */
  concurrency: number;
  /** Strict per-partition order (implies one at a time). */
  inOrder?: boolean;
  /** Lease length; the worker extends it every half of it while the handler runs. */
  leaseMs: number;
  policy: RetryPolicy;
  handle: (item: T) => Promise<HandlerOutcome>;
  /** Awaited before each item's handler (yield to intake); the item is released if the worker stops meanwhile. */
  beforeEach?: () => Promise<void>;
  /** Called once the outcome is recorded (metrics, follow-up work). Must not throw. */
  onSettled?: (item: T, outcome: HandlerOutcome, settlement: Settlement) => void;
  clock: Clock;
  log: Logger;
  random?: () => number;
}

/** After a failed claim (the database away), the next look. */
const ERROR_RETRY_MS = 2_000;

export class QueueWorker<T extends QueueItem> {
  private readonly inFlight = new Set<Promise<void>>();
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Set by start(): a worker that was never started (its node does not run this role) never claims. */
  private started = false;
  private timer: { cancel(): void } | undefined;

  constructor(private readonly o: QueueWorkerOptions<T>) {}

  get partition(): string {
    return this.o.partition;
  }

  /** Takes back the leases this owner held before a restart, then looks for work. */
  async start(): Promise<void> {
    this.started = true;
    const released = await this.o.queue.releaseOwned(this.o.partition, this.o.owner, this.o.clock.now());
    if (released > 0) this.o.log.warn('items interrupted by a stop are due again', { partition: this.o.partition, count: released });
    this.notify();
  }

  /** Something was queued (or became due): look now. Calls during a look are coalesced into one more look. */
  notify(): void {
    if (this.stopped || !this.started) return;
    if (this.pumping !== undefined) {
      this.again = true;
      return;
    }
    this.timer?.cancel();
    this.timer = undefined;
    this.pumping = this.pump()
      .then(
        () => this.afterPump(),
        (err: unknown) => {
          // The database is away (a restart, a failover): look again soon; the pool reconnects by itself.
          this.o.log.error('queue claim failed; trying again shortly', { partition: this.o.partition, retryInMs: ERROR_RETRY_MS, err: describeError(err) });
          this.pumping = undefined;
          this.armLookAgain(ERROR_RETRY_MS);
        },
      );
  }

  /** Stops claiming; resolves when the items in hand have been settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.pumping;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private get limit(): number {
    return this.o.inOrder === true ? 1 : this.o.concurrency;
  }

  private async pump(): Promise<void> {
    while (!this.stopped) {
      const free = this.limit - this.inFlight.size;
      if (free <= 0) return; // a settling item calls notify()
      const items = await this.o.queue.claim({
        partition: this.o.partition,
        owner: this.o.owner,
        leaseMs: this.o.leaseMs,
        limit: free,
        nowMs: this.o.clock.now(),
        inOrder: this.o.inOrder === true,
      });
      if (items.length === 0) return;
      for (const item of items) {
        const p: Promise<void> = this.run(item).finally(() => {
          this.inFlight.delete(p);
          this.notify();
        });
        this.inFlight.add(p);
      }
    }
  }

  private async afterPump(): Promise<void> {
    this.pumping = undefined;
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      this.notify();
      return;
    }
    if (this.inFlight.size >= this.limit) return;
    let due: number | undefined;
    try {
      due = await this.o.queue.nextDueMs(this.o.partition, { inOrder: this.o.inOrder === true });
    } catch (err) {
      this.o.log.error('queue next due time unreadable; trying again shortly', { partition: this.o.partition, retryInMs: ERROR_RETRY_MS, err: describeError(err) });
      if (this.pumping === undefined) this.armLookAgain(ERROR_RETRY_MS);
      return;
    }
    if (this.stopped || this.pumping !== undefined) return;
    // +5 ms: a timer may fire a little before the clock reads the due time.
    const untilDue = due === undefined ? Number.POSITIVE_INFINITY : Math.max(0, due - this.o.clock.now()) + 5;
    const delay = Math.min(untilDue, this.o.queue.idlePollMs ?? Number.POSITIVE_INFINITY);
    if (delay !== Number.POSITIVE_INFINITY) this.armLookAgain(delay);
  }

  private armLookAgain(delayMs: number): void {
    if (this.stopped) return;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimeout(() => this.notify(), delayMs);
  }

  private async run(item: T): Promise<void> {
    const { queue, owner, clock } = this.o;
    const log = this.o.log.child({ itemId: item.id, partition: item.partition });
    let heartbeat: { cancel(): void } | undefined;
    const beat = (): void => {
      heartbeat = clock.setTimeout(() => {
        queue.extendLease(item.id, owner, clock.now() + this.o.leaseMs).then(
          (held) => (held ? beat() : log.warn('queue lease lost while working', { attempts: item.attempts })),
          (err: unknown) => log.error('queue lease not extended', { err: describeError(err) }),
        );
      }, Math.max(1, Math.floor(this.o.leaseMs / 2)));
    };
    try {
      if (this.o.beforeEach !== undefined) await this.o.beforeEach();
      if (this.stopped) {
        await queue.release(item.id, owner, clock.now());
        return;
      }
      beat();
      let outcome: HandlerOutcome;
      try {
        outcome = await this.o.handle(item);
      } catch (err) {
        // A handler should return outcomes; a throw is a bug or an unforeseen failure: retry it.
        outcome = { kind: 'retry', reason: describeError(err) };
      }
      heartbeat?.cancel();
      heartbeat = undefined;
      const settlement = await this.settle(item, outcome);
      if (settlement.kind === 'done') log.debug('queue item done', { attempts: item.attempts });
      else if (settlement.kind === 'released') log.info('queue item handed back', { reason: reasonOf(outcome) });
      else if (settlement.kind === 'retrying') log.warn('queue item failed, will retry', { attempts: item.attempts, reason: reasonOf(outcome), retryInMs: settlement.atMs - clock.now() });
      else if (settlement.kind === 'lease-lost') log.warn('queue item outcome dropped: another owner took it over', { attempts: item.attempts });
      else log.error(settlement.kind === 'dead' ? 'queue item is a dead letter' : 'queue item superseded by a newer one', { attempts: item.attempts, reason: reasonOf(outcome) });
      this.o.onSettled?.(item, outcome, settlement);
    } catch (err) {
      // The outcome could not be recorded: the lease runs out and the item is claimed again.
      log.error('queue item outcome not recorded', { err: describeError(err) });
    } finally {
      heartbeat?.cancel();
    }
  }

  private async settle(item: T, outcome: HandlerOutcome): Promise<Settlement> {
    const { queue, owner, clock, policy } = this.o;
    const now = clock.now();
    if (outcome.kind === 'done') {
      return (await queue.complete(item.id, owner, now, outcome.note)) ? { kind: 'done' } : { kind: 'lease-lost' };
    }
    if (outcome.kind === 'released') return (await queue.release(item.id, owner, now)) ? { kind: 'released' } : { kind: 'lease-lost' };
    const tooOld = policy.maxAgeMs !== undefined && now - item.createdAtMs > policy.maxAgeMs;
    const next = tooOld ? undefined : retryAt(now, item.attempts, outcome.kind === 'retry', policy, this.o.random);
    const result = await queue.fail(item.id, owner, { error: outcome.reason, retryAtMs: next }, now);
    return result === 'retrying' && next !== undefined ? { kind: 'retrying', atMs: next } : { kind: result === 'retrying' ? 'dead' : result };
  }
}

function reasonOf(outcome: HandlerOutcome): string | undefined {
  return outcome.kind === 'done' ? undefined : outcome.reason;
}
