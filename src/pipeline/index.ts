/**
 * The durable work loops the flows run on (jobs, outbox deliveries, stored reports) and their scheduling. To be
 * replaced by one queue (`src/queue`).
 */
export { JobWorker, type JobOutcome, type JobWorkerDeps } from './job-worker.js';
export { OutboxDelivery, type OutboxDeliveryDeps, type SendOutcome } from './outbox-delivery.js';
export { ReportWorker } from './report-worker.js';
export { IntakeGate } from './intake-gate.js';
export type { BackoffPolicy } from './backoff.js';
