/** The outbox on PostgreSQL: every outbound object is a row before its first send, partitioned by destination. */
import type { Enqueued, QueueMaintenance } from '../../queue/index.js';
import { isoNow } from '../database.js';
import { OUTBOX_TABLE, type NewOutboxItem, type OutboxItem, type OutboxRow } from '../outbox-queue.js';
import { PgQueue, type PgQueueOptions } from './pg-queue.js';
import type { Pool, PoolClient } from './pool.js';

export class PgOutboxQueue extends PgQueue<OutboxRow, OutboxItem, NewOutboxItem> implements QueueMaintenance {
  constructor(pool: Pool, options: PgQueueOptions = {}) {
    super(pool, OUTBOX_TABLE, options);
  }

  /** Unless the same (destination, dedupe key) exists: a retried or re-run job never creates a second delivery. */
  protected async insert(db: Pool | PoolClient, item: NewOutboxItem, nowMs: number): Promise<Enqueued> {
    const now = isoNow(nowMs);
    const inserted = await db.query<{ id: number }>(
      `INSERT INTO outbox (kind, destination, study_instance_uid, dedupe_key, payload, state, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $6) ON CONFLICT (destination, dedupe_key) DO NOTHING RETURNING id`,
      [item.kind, item.destination, item.studyInstanceUid, item.dedupeKey, item.payload, now],
    );
    const id = inserted.rows[0]?.id;
    if (id !== undefined) return { id, created: true };
    const existing = await db.query<{ id: number }>('SELECT id FROM outbox WHERE destination = $1 AND dedupe_key = $2', [item.destination, item.dedupeKey]);
    return { id: existing.rows[0]?.id ?? 0, created: false };
  }

  deadLetterOlderThan(createdBeforeMs: number, reason: string, nowMs: number): Promise<number> {
    return this.guard('dead-letter old rows', async () => {
      const r = await this.pool.query(
        `UPDATE outbox SET state = 'dead', last_error = CASE WHEN last_error IS NULL THEN $1::text ELSE last_error || ' (then: ' || $1::text || ')' END, updated_at = $2
          WHERE state = 'pending' AND created_at < $3`,
        [reason, isoNow(nowMs), isoNow(createdBeforeMs)],
      );
      return r.rowCount ?? 0;
    });
  }

  deleteDoneBefore(doneBeforeMs: number): Promise<number> {
    return this.guard('delete delivered rows', async () => {
      const r = await this.pool.query(`DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < $1`, [isoNow(doneBeforeMs)]);
      return r.rowCount ?? 0;
    });
  }
}
