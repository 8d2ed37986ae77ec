/**
 * The outbox: every outbound object is a row before its first send. Rows move pending → sending → delivered,
 * or back to pending with a later next_attempt_at, or to dead (a dead letter, re-sendable by an operator).
 */
import type { Db } from './database.js';
import { isoNow } from './database.js';

export const OUTBOX_STATES = ['pending', 'sending', 'delivered', 'dead'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];
export type OutboxKind = 'dicom' | 'hl7';

export interface OutboxItem {
  id: number;
  kind: OutboxKind;
  destination: string;
  studyInstanceUid: string;
  dedupeKey: string;
  payload: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

interface OutboxRow {
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

export interface NewOutboxItem {
  kind: OutboxKind;
  destination: string;
  studyInstanceUid: string;
  dedupeKey: string;
  payload: string;
}

export class OutboxRepo {
  constructor(private readonly db: Db) {}

  /**
   * Adds an item unless the same (destination, dedupe key) exists: a retried or re-run job never creates a
   * second delivery. Returns the row id and whether it is new.
   */
  enqueue(item: NewOutboxItem, nowMs: number): { id: number; created: boolean } {
    const now = isoNow(nowMs);
    const inserted = this.db
      .prepare(
        `INSERT INTO outbox (kind, destination, study_instance_uid, dedupe_key, payload, state, next_attempt_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (destination, dedupe_key) DO NOTHING`,
      )
      .run(item.kind, item.destination, item.studyInstanceUid, item.dedupeKey, item.payload, now, now, now);
    if (inserted.changes === 1) return { id: Number(inserted.lastInsertRowid), created: true };
    const row = this.db.prepare<[string, string], { id: number }>('SELECT id FROM outbox WHERE destination = ? AND dedupe_key = ?').get(item.destination, item.dedupeKey);
    return { id: (row as { id: number }).id, created: false };
  }

  /** Whether the destination already holds an item with this dedupe key (in any state). */
  has(destination: string, dedupeKey: string): boolean {
    return this.db.prepare<[string, string], { id: number }>('SELECT id FROM outbox WHERE destination = ? AND dedupe_key = ?').get(destination, dedupeKey) !== undefined;
  }

  /** Marks up to `limit` due pending rows of a destination as sending and returns them, oldest first. */
  claimDue(destination: string, nowMs: number, limit: number): OutboxItem[] {
    const now = isoNow(nowMs);
    return this.db.transaction(() =>
      this.db
        .prepare<[string, string, string, number], OutboxRow>(
          `UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?
            WHERE id IN (SELECT id FROM outbox WHERE destination = ? AND state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?)
            RETURNING *`,
        )
        .all(now, destination, now, limit)
        .map(toItem)
        .sort((a, b) => a.id - b.id),
    )();
  }

  markDelivered(id: number, nowMs: number, note?: string): void {
    const now = isoNow(nowMs);
    this.db.prepare(`UPDATE outbox SET state = 'delivered', delivered_at = ?, updated_at = ?, last_error = ? WHERE id = ?`).run(now, now, note ?? null, id);
  }

  /** A failed attempt: retry at `retryAtMs`, or a dead letter when it is undefined. */
  markFailed(id: number, error: string, nowMs: number, retryAtMs: number | undefined): void {
    const now = isoNow(nowMs);
    if (retryAtMs === undefined) this.db.prepare(`UPDATE outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE id = ?`).run(error, now, id);
    else this.db.prepare(`UPDATE outbox SET state = 'pending', last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?`).run(error, isoNow(retryAtMs), now, id);
  }

  /** Operator resend of a dead letter (or a pending row, to try now). Returns false for unknown/delivered rows. */
  resend(id: number, nowMs: number): boolean {
    const now = isoNow(nowMs);
    return this.db.prepare(`UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state IN ('dead', 'pending')`).run(now, now, id).changes === 1;
  }

  /** After a crash, rows left 'sending' go back to pending; the peer may already hold them (same UID). */
  requeueSending(nowMs: number): number {
    const now = isoNow(nowMs);
    return this.db.prepare(`UPDATE outbox SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'sending'`).run(now, now).changes;
  }

  /**
   * Pending rows created before `createdBeforeMs` become dead letters now, even with no attempt due (housekeeping's
   * outbox sweep); rows being sent are left to their attempt. Returns how many.
   */
  expireOlderThan(createdBeforeMs: number, reason: string, nowMs: number): number {
    return this.db
      .prepare(`UPDATE outbox SET state = 'dead', last_error = CASE WHEN last_error IS NULL THEN ? ELSE last_error || ' (then: ' || ? || ')' END, updated_at = ? WHERE state = 'pending' AND created_at < ?`)
      .run(reason, reason, isoNow(nowMs), isoNow(createdBeforeMs)).changes;
  }

  /** Deletes delivered rows delivered before `deliveredBeforeMs`. Returns how many. */
  deleteDeliveredBefore(deliveredBeforeMs: number): number {
    return this.db.prepare(`DELETE FROM outbox WHERE state = 'delivered' AND delivered_at < ?`).run(isoNow(deliveredBeforeMs)).changes;
  }

  nextDueMs(destination: string): number | undefined {
    const row = this.db.prepare<[string], { t: string | null }>(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE destination = ? AND state = 'pending'`).get(destination);
    return row?.t ? Date.parse(row.t) : undefined;
  }

  get(id: number): OutboxItem | undefined {
    const row = this.db.prepare<[number], OutboxRow>('SELECT * FROM outbox WHERE id = ?').get(id);
    return row === undefined ? undefined : toItem(row);
  }

  list(options: { state?: OutboxState; studyInstanceUid?: string; limit: number }): OutboxItem[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (options.state !== undefined) {
      where.push('state = ?');
      args.push(options.state);
    }
    if (options.studyInstanceUid !== undefined) {
      where.push('study_instance_uid = ?');
      args.push(options.studyInstanceUid);
    }
    args.push(options.limit);
    return this.db
      .prepare<Array<string | number>, OutboxRow>(`SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args)
      .map(toItem);
  }

  /** Rows per (destination, state); answered from the outbox_due index, cheap enough for every scrape. */
  countByDestinationAndState(): Array<{ destination: string; state: OutboxState; count: number }> {
    return this.db.prepare<[], { destination: string; state: OutboxState; count: number }>('SELECT destination, state, COUNT(*) AS count FROM outbox GROUP BY destination, state').all();
  }

  /**
   * Per destination: items waiting or being sent, dead letters, the last delivery, and the newest error of an
   * item not yet delivered (what an operator needs to see why a destination is stuck).
   */
  destinationStats(): OutboxDestinationStats[] {
    return this.db
      .prepare<[], OutboxDestinationStats>(
        `SELECT destination,
                SUM(state IN ('pending', 'sending')) AS pending,
                SUM(state = 'dead') AS dead,
                MAX(delivered_at) AS lastDeliveredAt,
                (SELECT o2.last_error FROM outbox o2 WHERE o2.destination = o.destination AND o2.state <> 'delivered' AND o2.last_error IS NOT NULL
                  ORDER BY o2.updated_at DESC, o2.id DESC LIMIT 1) AS lastError,
                (SELECT MAX(o3.updated_at) FROM outbox o3 WHERE o3.destination = o.destination AND o3.state <> 'delivered' AND o3.last_error IS NOT NULL) AS lastErrorAt
           FROM outbox o GROUP BY destination`,
      )
      .all();
  }
}

export interface OutboxDestinationStats {
  destination: string;
  pending: number;
  dead: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

function toItem(r: OutboxRow): OutboxItem {
  return {
    id: r.id,
    kind: r.kind,
    destination: r.destination,
    studyInstanceUid: r.study_instance_uid,
    dedupeKey: r.dedupe_key,
    payload: r.payload,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  };
}
