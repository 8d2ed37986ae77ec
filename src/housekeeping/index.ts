export { Housekeeping, HOUSEKEEPING_JOBS, type HousekeepingJobName, type HousekeepingDeps } from './housekeeping.js';
export { HousekeepingScheduler, type HousekeepingJob, type RunOutcome } from './scheduler.js';
export { runRetention, type RetentionPolicy, type RetentionReport, type RetentionDeps } from './spool-retention.js';
export { sweepOutbox, type OutboxSweepPolicy, type OutboxSweepReport } from './outbox-sweep.js';
export { maintainDatabase, type DbMaintenanceReport } from './db-maintenance.js';
export { DiskWatermark } from './disk-watermark.js';
