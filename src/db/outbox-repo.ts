/**
 * What is in the outbox, for the result writers (is this delivery already queued?) and the API; queueing,
 * claiming and settling rows is the queue's (outbox-queue.ts).
 */
import type { Db } from './database.js';
import { toOutboxItem, type OutboxItem, type OutboxRow, type OutboxState } from './outbox-queue.js';

export interface OutboxDestinationStats {
  destination: string;
  pending: number;
  dead: number;
  lastDeliveredAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

export interface OutboxReader {
  /** Whether the destination already holds an item with this dedupe key (in any state). */
  has(destination: string, dedupeKey: string): Promise<boolean>;
  get(id: number): Promise<OutboxItem | undefined>;
  /** Newest first. */
  list(options: { state?: OutboxState; studyInstanceUid?: string; limit: number }): Promise<OutboxItem[]>;
  countByDestinationAndState(): Promise<Array<{ destination: string; state: OutboxState; count: number }>>;
  destinationStats(): Promise<OutboxDestinationStats[]>;
}

export class OutboxRepo implements OutboxReader {
  constructor(private readonly db: Db) {}

  async has(destination: string, dedupeKey: string): Promise<boolean> {
    return this.db.prepare<[string, string], { id: number }>('SELECT id FROM outbox WHERE destination = ? AND dedupe_key = ?').get(destination, dedupeKey) !== undefined;
  }

  async get(id: number): Promise<OutboxItem | undefined> {
    const row = this.db.prepare<[number], OutboxRow>('SELECT * FROM outbox WHERE id = ?').get(id);
    return row === undefined ? undefined : toOutboxItem(row);
  }

  async list(options: { state?: OutboxState; studyInstanceUid?: string; limit: number }): Promise<OutboxItem[]> {
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
      .map(toOutboxItem);
  }

  /** Rows per (destination, state); answered from the outbox_due index, cheap enough for every scrape. */
  async countByDestinationAndState(): Promise<Array<{ destination: string; state: OutboxState; count: number }>> {
    return this.db.prepare<[], { destination: string; state: OutboxState; count: number }>('SELECT destination, state, COUNT(*) AS count FROM outbox GROUP BY destination, state').all();
  }

  /**
   * Per destination: items waiting or being sent, dead letters, the last delivery, and the newest error of an
   * item not yet delivered (what an operator needs to see why a destination is stuck).
   */
  async destinationStats(): Promise<OutboxDestinationStats[]> {
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
