/**
 * Delivery of outbox rows on the generic queue worker: one worker per destination (a dead peer only delays its
 * own rows), bounded concurrency for DICOM, HL7 one at a time in order. This module turns a sender's verdict into
 * the worker's outcome and logs each delivery.
 */
import type { OutboxItem } from '../../db/index.js';
import type { Logger } from '../../log.js';
import type { HandlerOutcome, Settlement } from '../../queue/index.js';

export type SendOutcome = { kind: 'delivered'; note?: string } | { kind: 'failed'; retryable: boolean; reason: string };

/** The queue handler for a destination's sender: a non-retryable refusal gives up at once (a dead letter). */
export function deliveryHandler(send: (item: OutboxItem) => Promise<SendOutcome>): (item: OutboxItem) => Promise<HandlerOutcome> {
  return async (item) => {
    const outcome = await send(item);
    if (outcome.kind === 'delivered') return outcome.note === undefined ? { kind: 'done' } : { kind: 'done', note: outcome.note };
    return outcome.retryable ? { kind: 'retry', reason: outcome.reason } : { kind: 'failed', reason: outcome.reason };
  };
}

/** The per-delivery log line operators grep for (the worker logs retries and dead letters). */
export function logDelivery(log: Logger, item: OutboxItem, settlement: Settlement): void {
  if (settlement.kind === 'done') log.info('outbox item delivered', { outboxId: item.id, destination: item.destination, attempts: item.attempts, kind: item.kind });
}
