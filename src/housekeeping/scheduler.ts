/**
 * Runs named housekeeping jobs on node-cron schedules. A job never overlaps itself (a tick that finds it still
 * running is skipped and logged), a failing job is logged and the next tick runs it again, and `stop()` ends the
 * schedules and waits for the runs in progress.
 */
import { createTask, type ScheduledTask } from 'node-cron';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';

export interface HousekeepingJob {
  /** Names the job in logs: `retention`, `outbox-sweep`, … */
  name: string;
  /** A node-cron expression (validated by the config schema). */
  schedule: string;
  /** Does the work; resolves to fields for the log line (nothing when the run was quiet). */
  run: () => Promise<Record<string, unknown> | undefined>;
  /** Log quiet runs at debug instead of info (the disk check runs every few seconds). */
  quiet?: boolean;
}

export type RunOutcome = { kind: 'done'; fields: Record<string, unknown> | undefined } | { kind: 'failed'; error: string } | { kind: 'skipped' };

export class HousekeepingScheduler {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Map<string, Promise<RunOutcome>>();
  private readonly jobs = new Map<string, HousekeepingJob>();
  private stopped = false;

  constructor(private readonly log: Logger) {}

  add(job: HousekeepingJob): void {
    this.jobs.set(job.name, job);
  }

  start(): void {
    for (const job of this.jobs.values()) {
      const task = createTask(job.schedule, () => this.runNow(job.name), {
        name: `housekeeping:${job.name}`,
        noOverlap: true,
        unref: true,
        logger: cronLogger(this.log),
      });
      task.start();
      this.tasks.push(task);
    }
  }

  /** Runs a job now (tests and operators), unless it is already running. Never rejects. */
  runNow(name: string): Promise<RunOutcome> {
    const job = this.jobs.get(name);
    if (job === undefined) return Promise.resolve({ kind: 'failed', error: `no housekeeping job named ${name}` });
    if (this.stopped) return Promise.resolve({ kind: 'skipped' });
    if (this.running.has(name)) {
      this.log.debug('housekeeping run skipped: the previous run is still going', { job: name });
      return Promise.resolve({ kind: 'skipped' });
    }
    const run = this.execute(job).finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const task of this.tasks.splice(0)) await task.destroy();
    await Promise.all(this.running.values());
  }

  private async execute(job: HousekeepingJob): Promise<RunOutcome> {
    const started = performance.now();
    try {
      const fields = await job.run();
      const durationMs = Math.round(performance.now() - started);
      if (fields === undefined && job.quiet === true) this.log.debug('housekeeping job done', { job: job.name, durationMs });
      else this.log.info('housekeeping job done', { job: job.name, durationMs, ...fields });
      return { kind: 'done', fields };
    } catch (err) {
      // Our failure, not a peer's: error level; the daemon goes on and the next tick tries again.
      this.log.error('housekeeping job failed', { job: job.name, durationMs: Math.round(performance.now() - started), err: describeError(err) });
      return { kind: 'failed', error: describeError(err) };
    }
  }
}

/** node-cron's own messages (a missed tick after a stalled event loop) go to our log, not the console. */
function cronLogger(log: Logger): { info(m: string): void; warn(m: string): void; error(m: string | Error): void; debug(m: string | Error): void } {
  const child = log.child({ component: 'node-cron' });
  const text = (m: string | Error): string => (m instanceof Error ? m.message : m);
  return { info: (m) => child.debug(m), warn: (m) => child.warn(m), error: (m) => child.error(text(m)), debug: (m) => child.debug(text(m)) };
}
