/**
 * The audit trail's local queue on PostgreSQL: one row per syslog message, deleted once sent. Bounded like the
 * SQLite one; with several nodes writing, the count and the insert run under a transaction-level advisory lock,
 * so two nodes cannot both take the last free place.
 */
import type { AuditEnqueue, AuditQueueItem, NewAuditRecord } from '../audit-queue.js';
import { AUDIT_TABLE, type AuditRow } from '../audit-queue.js';
import { isoNow } from '../database.js';
import type { Enqueued } from '../../queue/index.js';
import { PgQueue, type PgQueueOptions } from './pg-queue.js';
import { pgTransaction, type Pool, type PoolClient } from './pool.js';

/** The advisory lock of the audit queue's bound: an arbitrary constant, distinct from the migration lock. */
const AUDIT_BOUND_LOCK_KEY = '4736503145730220';

export class PgAuditQueue extends PgQueue<AuditRow, AuditQueueItem, NewAuditRecord> {
  constructor(
    pool: Pool,
    private readonly maxRecords: number,
    options: PgQueueOptions = {},
  ) {
    super(pool, AUDIT_TABLE, options);
  }

  /** Queues a record unless `maxRecords` are already waiting. */
  add(item: NewAuditRecord, nowMs: number): Promise<AuditEnqueue> {
    return this.guard('enqueue', () => pgTransaction(this.pool, (tx) => this.addOn(tx.client, item, nowMs)));
  }

  /** The lock is the transaction's: in a caller's transaction it is held until the caller commits. */
  private async addOn(c: PoolClient, item: NewAuditRecord, nowMs: number): Promise<AuditEnqueue> {
    await c.query(`SELECT pg_advisory_xact_lock(${AUDIT_BOUND_LOCK_KEY})`);
    const now = isoNow(nowMs);
    const r = await c.query<{ id: number }>(
      `INSERT INTO audit_records (collector, event_id, message, state, next_attempt_at, created_at, updated_at)
       SELECT $1, $2, $3, 'queued', $4, $4, $4 WHERE (SELECT COUNT(*) FROM audit_records) < $5 RETURNING id`,
      [item.collector, item.eventId, item.message, now, this.maxRecords],
    );
    const id = r.rows[0]?.id;
    if (id !== undefined) return { kind: 'queued', id };
    return { kind: 'dropped', waiting: await this.waitingOn(c) };
  }

  protected async insert(db: Pool | PoolClient, item: NewAuditRecord, nowMs: number): Promise<Enqueued> {
    // A client is the caller's transaction (enqueueIn); the pool means a transaction of our own.
    const r = 'release' in db ? await this.addOn(db, item, nowMs) : await this.add(item, nowMs);
    return r.kind === 'queued' ? { id: r.id, created: true } : { id: 0, created: false };
  }

  /** Sent rows have done their job (the collector holds the record): deleted in the statement that completes them. */
  override complete(id: number, owner: string): Promise<boolean> {
    return this.guard('complete', async () => {
      const r = await this.pool.query(`DELETE FROM audit_records WHERE id = $1 AND state = 'sending' AND lease_owner = $2`, [id, owner]);
      return r.rowCount === 1;
    });
  }

  /** Records not yet sent (queued or being sent). */
  waiting(): Promise<number> {
    return this.guard('count', () => this.waitingOn(this.pool));
  }

  private async waitingOn(db: Pool | PoolClient): Promise<number> {
    const r = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM audit_records');
    return r.rows[0]?.n ?? 0;
  }
}
