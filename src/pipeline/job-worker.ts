/**
 * Runs one kind of durable job: claims due rows, hands each to the handler, records done / retry / failed.
 * One job at a time per worker (the handlers themselves batch and use other threads). Wakes on `notify()`
 * and on the earliest next_attempt_at.
 */
import { describeError } from '../errors.js';
import type { Job, JobsRepo } from '../db/index.js';
import type { Logger } from '../log.js';
import { retryAt, type BackoffPolicy } from './backoff.js';
import { WakeLoop } from './wake-loop.js';

export type JobOutcome = { kind: 'done' } | { kind: 'retry'; reason: string } | { kind: 'failed'; reason: string };

export interface JobWorkerDeps {
  kind: string;
  jobs: JobsRepo;
  handle: (job: Job) => Promise<JobOutcome>;
  policy: BackoffPolicy;
  log: Logger;
  now?: () => number;
}

export class JobWorker {
  private readonly loop: WakeLoop;
  private readonly now: () => number;

  constructor(private readonly deps: JobWorkerDeps) {
    this.now = deps.now ?? Date.now;
    this.loop = new WakeLoop(() => this.drain(), () => this.deps.jobs.nextDueMs(this.deps.kind), this.now);
  }

  start(): void {
    const requeued = this.deps.jobs.requeueRunning(this.now());
    if (requeued > 0) this.deps.log.warn('jobs interrupted by a stop were queued again', { kind: this.deps.kind, count: requeued });
    this.notify();
  }

  /** Something was queued: look now. */
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
      const job = this.deps.jobs.claim(this.deps.kind, this.now());
      if (job === undefined) return;
      const log = this.deps.log.child({ jobId: job.id, kind: job.kind });
      let outcome: JobOutcome;
      try {
        outcome = await this.deps.handle(job);
      } catch (err) {
        // A handler should return outcomes; a throw is a bug or an unforeseen failure: retry it.
        outcome = { kind: 'retry', reason: describeError(err) };
      }
      const now = this.now();
      if (outcome.kind === 'done') {
        this.deps.jobs.complete(job.id, now);
        log.debug('job done', { attempts: job.attempts });
        continue;
      }
      const next = outcome.kind === 'retry' ? retryAt(now, job.attempts, true, this.deps.policy) : undefined;
      this.deps.jobs.fail(job.id, outcome.reason, now, next);
      if (next === undefined) log.error('job failed', { attempts: job.attempts, reason: outcome.reason });
      else log.warn('job will be retried', { attempts: job.attempts, reason: outcome.reason, retryInMs: next - now });
    }
  }

}
