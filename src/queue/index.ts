export type { ClaimRequest, Enqueued, Failure, FailResult, Queue, QueueItem, QueueMaintenance, TransactionalEnqueue } from './queue.js';
export { QueueWorker, type HandlerOutcome, type QueueWorkerOptions, type RetryPolicy, type Settlement } from './queue-worker.js';
export { backoffDelayMs, retryAt, type BackoffPolicy } from './backoff.js';
export { systemClock, type Clock } from './clock.js';
