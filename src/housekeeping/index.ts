export { Housekeeping, type HousekeepingJobName, type HousekeepingDeps } from './housekeeping.js';
export { type HousekeepingJob, type RunOutcome } from './scheduler.js';
export { type RetentionPolicy, type RetentionReport, type RetentionDeps } from './spool-retention.js';
export { type OutboxSweepPolicy, type OutboxSweepReport } from './outbox-sweep.js';
