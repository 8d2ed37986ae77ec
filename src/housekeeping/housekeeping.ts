/**
 * The daemon's housekeeping, wired from config: spool retention, outbox sweep, database maintenance and the disk
 * watermark, each on its own schedule (`housekeeping.*.schedule`). Each job is also callable directly.
 */
import type { GatewayConfig } from '../config/index.js';
import type { RetentionStore } from '../db/index.js';
import type { QueueMaintenance } from '../queue/index.js';
import type { Logger } from '../log.js';
import type { Spool } from '../storage/index.js';
import { DiskWatermark } from './disk-watermark.js';
import { sweepOutbox } from './outbox-sweep.js';
import { HousekeepingScheduler, type RunOutcome } from './scheduler.js';
import { runRetention } from './spool-retention.js';

export const HOUSEKEEPING_JOBS = ['retention', 'outbox-sweep', 'db-maintenance', 'disk-check', 'study-sweep'] as const;
export type HousekeepingJobName = (typeof HOUSEKEEPING_JOBS)[number];

export interface HousekeepingDeps {
  /** The database engine's upkeep (db-maintenance): what it did, for the log. */
  maintainDatabase: () => Promise<Record<string, number>>;
  retention: RetentionStore;
  outbox: QueueMaintenance;
  spool: Pick<Spool, 'remove' | 'freeBytes'>;
  log: Logger;
  /** Completes every study that is due but still receiving; returns how many (the study assembler's sweep). */
  sweepStudies: () => Promise<number>;
  now?: () => number;
}

export class Housekeeping {
  readonly disk: DiskWatermark;
  private readonly scheduler: HousekeepingScheduler;

  constructor(config: Readonly<GatewayConfig>, deps: HousekeepingDeps) {
    const now = deps.now ?? Date.now;
    const log = deps.log;
    const hk = config.housekeeping;
    this.disk = new DiskWatermark(() => deps.spool.freeBytes(), config.storage.minFreeBytes, log);
    this.scheduler = new HousekeepingScheduler(log);
    this.scheduler.add({
      name: 'retention',
      schedule: hk.retention.schedule,
      run: async () => ({ ...(await runRetention({ retention: deps.retention, spool: deps.spool, log }, hk.retention, now())) }),
    });
    this.scheduler.add({
      name: 'outbox-sweep',
      schedule: hk.outboxSweep.schedule,
      run: async () => {
        const r = await sweepOutbox(deps.outbox, { maxAgeHours: config.outbox.maxAgeHours, keepDeliveredDays: hk.outboxSweep.keepDeliveredDays }, now());
        if (r.expired > 0) log.error('outbox items expired to dead letters (outbox.maxAgeHours)', { count: r.expired });
        return r.expired + r.deleted === 0 ? undefined : { ...r };
      },
      quiet: true,
    });
    this.scheduler.add({ name: 'db-maintenance', schedule: hk.dbMaintenance.schedule, run: async () => ({ ...(await deps.maintainDatabase()) }) });
    this.scheduler.add({ name: 'disk-check', schedule: hk.diskCheck.schedule, run: () => this.disk.check(), quiet: true });
    this.scheduler.add({
      name: 'study-sweep',
      schedule: hk.studySweep.schedule,
      run: async () => {
        const completed = await deps.sweepStudies();
        // Each one is a completion its timer missed: worth a warning, it should not happen.
        if (completed > 0) log.warn('overdue studies completed by the sweep', { count: completed });
        return completed === 0 ? undefined : { completed };
      },
      quiet: true,
    });
  }

  /** Checks the disk once (so the first association already sees the watermark), then starts the schedules. */
  async start(): Promise<void> {
    await this.scheduler.runNow('disk-check');
    this.scheduler.start();
  }

  /** Runs one job now; skipped when it is already running. */
  run(name: HousekeepingJobName): Promise<RunOutcome> {
    return this.scheduler.runNow(name);
  }

  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}
