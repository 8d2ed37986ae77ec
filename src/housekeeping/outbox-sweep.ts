/**
 * The outbox sweep: pending rows older than outbox.maxAgeHours become dead letters even when no attempt is due
 * (a delivery with a long back-off would otherwise wait past its age), and delivered rows older than
 * keepDeliveredDays are deleted.
 */
import type { OutboxRepo } from '../db/index.js';

export interface OutboxSweepPolicy {
  maxAgeHours: number;
  keepDeliveredDays: number;
}

export interface OutboxSweepReport {
  expired: number;
  deleted: number;
}

export function sweepOutbox(outbox: OutboxRepo, policy: OutboxSweepPolicy, nowMs: number): OutboxSweepReport {
  const expired = outbox.expireOlderThan(nowMs - policy.maxAgeHours * 3_600_000, `not delivered within outbox.maxAgeHours (${policy.maxAgeHours} h)`, nowMs);
  const deleted = outbox.deleteDeliveredBefore(nowMs - policy.keepDeliveredDays * 86_400_000);
  return { expired, deleted };
}
