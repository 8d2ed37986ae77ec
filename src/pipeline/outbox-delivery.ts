/**
 * Delivers the outbox of one destination: claims due rows (bounded concurrency), sends each through the
 * injected sender, marks delivered / retry-later / dead. One worker per destination, so a dead peer only
 * delays its own rows; back-off keeps retries from flooding it.
 */
import { describeError } from '../errors.js';
import type { OutboxItem, OutboxRepo } from '../db/index.js';
import type { Logger } from '../log.js';
import { retryAt, type BackoffPolicy } from './backoff.js';
import { WakeLoop } from './wake-loop.js';

export type SendOutcome = { kind: 'delivered'; note?: string } | { kind: 'failed'; retryable: boolean; reason: string };

export interface OutboxDeliveryDeps {
  destination: string;
  outbox: OutboxRepo;
  send: (item: OutboxItem) => Promise<SendOutcome>;
  policy: BackoffPolicy;
  /** Rows older than this become dead letters even with attempts left. */
  maxAgeMs: number;
  concurrency: number;
  log: Logger;
  onSettled?: (item: OutboxItem, outcome: SendOutcome) => void;
  now?: () => number;
}

export class OutboxDelivery {
  private readonly loop: WakeLoop;
  private readonly now: () => number;

  constructor(private readonly deps: OutboxDeliveryDeps) {
    this.now = deps.now ?? Date.now;
    this.loop = new WakeLoop(() => this.drain(), () => this.deps.outbox.nextDueMs(this.deps.destination), this.now);
  }

  get destination(): string {
    return this.deps.destination;
  }

  notify(): void {
    this.loop.notify();
  }

  /** Stops claiming; resolves when the work in hand (if any) has finished. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.loop.isStopped) return;
      const batch = this.deps.outbox.claimDue(this.deps.destination, this.now(), this.deps.concurrency);
      if (batch.length === 0) return;
      await Promise.all(batch.map((item) => this.deliver(item)));
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    const log = this.deps.log.child({ outboxId: item.id, destination: item.destination });
    let outcome: SendOutcome;
    try {
      outcome = await this.deps.send(item);
    } catch (err) {
      outcome = { kind: 'failed', retryable: true, reason: describeError(err) };
    }
    const now = this.now();
    if (outcome.kind === 'delivered') {
      this.deps.outbox.markDelivered(item.id, now, outcome.note);
      log.info('outbox item delivered', { attempts: item.attempts, kind: item.kind });
    } else {
      const tooOld = now - Date.parse(item.createdAt) > this.deps.maxAgeMs;
      const next = tooOld ? undefined : retryAt(now, item.attempts, outcome.retryable, this.deps.policy);
      this.deps.outbox.markFailed(item.id, outcome.reason, now, next);
      if (next === undefined) log.error('outbox item is a dead letter', { attempts: item.attempts, reason: outcome.reason });
      else log.warn('outbox delivery failed, will retry', { attempts: item.attempts, reason: outcome.reason, retryInMs: next - now });
    }
    this.deps.onSettled?.(item, outcome);
  }

}
