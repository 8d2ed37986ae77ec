export type { ClaimRequest, Enqueued, Failure, FailResult, Queue, QueueItem, QueueMaintenance, TransactionalEnqueue } from './queue.js';
export { QueueWorker, type HandlerOutcome, type QueueWorkerOptions, type RetryPolicy, type Settlement } from './queue-worker.js';
export type { BackoffPolicy } from './backoff.js';
export { systemClock, type Clock } from './clock.js';
// What paces the background work: it gives way to intake (C-STORE, HL7) for a bounded time.
export { IntakeGate } from './intake-gate.js';
