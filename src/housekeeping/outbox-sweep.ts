/**
 * The outbox sweep: pending rows older than outbox.maxAgeHours become dead letters even when no attempt is due
 * (a delivery with a long back-off would otherwise wait past its age), and delivered rows older than
 * keepDeliveredDays are deleted.
 */
import type { QueueMaintenance } from '../queue/index.js';

export interface OutboxSweepPolicy {
  maxAgeHours: number;
  keepDeliveredDays: number;
}

export interface OutboxSweepReport {
  expired: number;
  deleted: number;
}

export async function sweepOutbox(outbox: QueueMaintenance, policy: OutboxSweepPolicy, nowMs: number): Promise<OutboxSweepReport> {
  const expired = await outbox.deadLetterOlderThan(nowMs - policy.maxAgeHours * 3_600_000, `not delivered within outbox.maxAgeHours (${policy.maxAgeHours} h)`, nowMs);
  const deleted = await outbox.deleteDoneBefore(nowMs - policy.keepDeliveredDays * 86_400_000);
  return { expired, deleted };
}
