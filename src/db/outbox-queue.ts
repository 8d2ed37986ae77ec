/**
 * The outbox on the Queue seam: every outbound object is a row before its first send. Rows move pending →
 * sending (leased) → delivered, or back to pending with a later next_attempt_at, or to dead (a dead letter,
 * re-sendable by an operator). Partitioned by destination, so a dead peer only delays its own rows.
 */
import type { Enqueued, QueueItem, QueueMaintenance } from '../queue/index.js';
import type { Db } from './database.js';
import { isoNow } from './database.js';
import { SqliteQueue, type QueueTable } from './sqlite-queue.js';

export const OUTBOX_STATES = ['pending', 'sending', 'delivered', 'dead'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export type OutboxKind = 'dicom' | 'hl7';

export interface OutboxItem extends QueueItem {
  kind: OutboxKind;
  destination: string;
  studyInstanceUid: string;
  dedupeKey: string;
  payload: string;
  state: OutboxState;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export interface NewOutboxItem {
  kind: OutboxKind;
  destination: string;
  studyInstanceUid: string;
  /** What makes a retry or a re-run the same delivery (SOP Instance UID of an SR, MSH-10 of a message). */
  dedupeKey: string;
  payload: string;
}

export interface OutboxRow {
  id: number;
  kind: OutboxKind;
  destination: string;
  study_instance_uid: string;
  dedupe_key: string;
  payload: string;
  state: OutboxState;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
}

/** The outbox table as a queue; its SQL fragments are read by both engines' adapters. */
export const OUTBOX_TABLE: QueueTable<OutboxRow, OutboxItem> = {
  table: 'outbox',
  partitionColumn: 'destination',
  states: { ready: 'pending', claimed: 'sending', done: 'delivered', dead: 'dead' },
  // A peer's warning (a delivered-with-warning status) stays visible in last_error.
  completeSet: 'delivered_at = @now, last_error = @note',
  toItem: toOutboxItem,
};

export class SqliteOutboxQueue extends SqliteQueue<OutboxRow, OutboxItem, NewOutboxItem> implements QueueMaintenance {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly expireStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    super(db, OUTBOX_TABLE);
    this.insertStmt = db.prepare(
      `INSERT INTO outbox (kind, destination, study_instance_uid, dedupe_key, payload, state, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (destination, dedupe_key) DO NOTHING`,
    );
    this.findStmt = db.prepare<[string, string], { id: number }>('SELECT id FROM outbox WHERE destination = ? AND dedupe_key = ?');
    this.expireStmt = db.prepare(
      `UPDATE outbox SET state = 'dead', last_error = CASE WHEN last_error IS NULL THEN ? ELSE last_error || ' (then: ' || ? || ')' END, updated_at = ?
        WHERE state = 'pending' AND created_at < ?`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?`);
  }

  /** Unless the same (destination, dedupe key) exists: a retried or re-run job never creates a second delivery. */
  protected insert(item: NewOutboxItem, nowMs: number): Enqueued {
    const now = isoNow(nowMs);
    const r = this.insertStmt.run(item.kind, item.destination, item.studyInstanceUid, item.dedupeKey, item.payload, now, now, now);
    if (r.changes === 1) return { id: Number(r.lastInsertRowid), created: true };
    return { id: this.findStmt.get(item.destination, item.dedupeKey)?.id ?? 0, created: false };
  }

  async deadLetterOlderThan(createdBeforeMs: number, reason: string, nowMs: number): Promise<number> {
    return this.expireStmt.run(reason, reason, isoNow(nowMs), isoNow(createdBeforeMs)).changes;
  }

  async deleteDoneBefore(doneBeforeMs: number): Promise<number> {
    return this.deleteStmt.run(isoNow(doneBeforeMs)).changes;
  }
}

export function toOutboxItem(r: OutboxRow): OutboxItem {
  return {
    id: r.id,
    partition: r.destination,
    kind: r.kind,
    destination: r.destination,
    studyInstanceUid: r.study_instance_uid,
    dedupeKey: r.dedupe_key,
    payload: r.payload,
    state: r.state,
    attempts: r.attempts,
    createdAtMs: Date.parse(r.created_at),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}
