/**
 * The audit trail's local queue on the Queue seam (src/queue): one row per syslog message, queued → sending
 * (leased) → deleted once sent. Bounded: past `maxRecords` waiting rows a new record is refused (the oldest are
 * kept, the caller counts the drop), so a dead collector cannot fill the disk.
 */
import type { QueueItem } from '../queue/index.js';
import type { Db } from './database.js';
import { isoNow } from './database.js';
import { SqliteQueue, type QueueTable } from './sqlite-queue.js';

export interface AuditQueueItem extends QueueItem {
  eventId: string;
  /** The RFC 5424 SYSLOG-MSG, ready to frame. */
  message: string;
}

export interface NewAuditRecord {
  collector: string;
  eventId: string;
  message: string;
}

export interface AuditRow {
  id: number;
  collector: string;
  event_id: string;
  message: string;
  attempts: number;
  created_at: string;
}

/** The audit_records table as a queue; its SQL fragments are read by both engines' adapters. */
export const AUDIT_TABLE: QueueTable<AuditRow, AuditQueueItem> = {
  table: 'audit_records',
  partitionColumn: 'collector',
  states: { ready: 'queued', claimed: 'sending', done: 'sent', dead: 'dead' },
  completeSet: 'last_error = @note',
  toItem: (r) => ({ id: r.id, partition: r.collector, attempts: r.attempts, createdAtMs: Date.parse(r.created_at), eventId: r.event_id, message: r.message }),
};

/** What `add` did: `dropped` when the queue was full. */
export type AuditEnqueue = { kind: 'queued'; id: number } | { kind: 'dropped'; waiting: number };

export class SqliteAuditQueue extends SqliteQueue<AuditRow, AuditQueueItem, NewAuditRecord> {
  private readonly insertStmt;
  private readonly countStmt;
  private readonly deleteSentStmt;

  constructor(
    db: Db,
    private readonly maxRecords: number,
  ) {
    super(db, AUDIT_TABLE);
    // One statement: the bound and the insert cannot race with another writer.
    this.insertStmt = db.prepare<{ collector: string; eventId: string; message: string; now: string; max: number }>(
      `INSERT INTO audit_records (collector, event_id, message, state, next_attempt_at, created_at, updated_at)
       SELECT @collector, @eventId, @message, 'queued', @now, @now, @now
        WHERE (SELECT COUNT(*) FROM audit_records) < @max`,
    );
    this.countStmt = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM audit_records');
    this.deleteSentStmt = db.prepare<[number]>(`DELETE FROM audit_records WHERE id = ? AND state = 'sent'`);
  }

  /** Queues a record unless `maxRecords` are already waiting. */
  async add(item: NewAuditRecord, nowMs: number): Promise<AuditEnqueue> {
    return this.addNow(item, nowMs);
  }

  protected insert(item: NewAuditRecord, nowMs: number): { id: number; created: boolean } {
    const r = this.addNow(item, nowMs);
    return r.kind === 'queued' ? { id: r.id, created: true } : { id: 0, created: false };
  }

  private addNow(item: NewAuditRecord, nowMs: number): AuditEnqueue {
    const r = this.insertStmt.run({ ...item, now: isoNow(nowMs), max: this.maxRecords });
    return r.changes === 1 ? { kind: 'queued', id: Number(r.lastInsertRowid) } : { kind: 'dropped', waiting: this.count() };
  }

  /** Sent rows have done their job: the collector holds the record now. */
  override async complete(id: number, owner: string, nowMs: number, note?: string): Promise<boolean> {
    const done = await super.complete(id, owner, nowMs, note);
    if (done) this.deleteSentStmt.run(id);
    return done;
  }

  /** Records not yet sent (queued or being sent). */
  async waiting(): Promise<number> {
    return this.count();
  }

  private count(): number {
    return this.countStmt.get()?.n ?? 0;
  }
}
