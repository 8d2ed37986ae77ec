/** What is in the outbox, for the result writers and the API, on PostgreSQL (db/outbox-repo.ts on SQLite). */
import type { OutboxDestinationStats, OutboxReader } from '../outbox-repo.js';
import { toOutboxItem, type OutboxItem, type OutboxRow, type OutboxState } from '../outbox-queue.js';
import { guarded, rows, type Pool } from './pool.js';

export class PgOutboxReader implements OutboxReader {
  constructor(private readonly pool: Pool) {}

  has(destination: string, dedupeKey: string): Promise<boolean> {
    return guarded('look up', 'outbox', async () => (await rows(this.pool, 'SELECT id FROM outbox WHERE destination = $1 AND dedupe_key = $2', [destination, dedupeKey])).length > 0);
  }

  get(id: number): Promise<OutboxItem | undefined> {
    return guarded('read', 'outbox', async () => {
      const [row] = await rows<OutboxRow>(this.pool, 'SELECT * FROM outbox WHERE id = $1', [id]);
      return row === undefined ? undefined : toOutboxItem(row);
    });
  }

  list(options: { state?: OutboxState; studyInstanceUid?: string; limit: number }): Promise<OutboxItem[]> {
    return guarded('list', 'outbox', async () => {
      const where: string[] = [];
      const args: Array<string | number> = [];
      if (options.state !== undefined) where.push(`state = $${args.push(options.state)}`);
      if (options.studyInstanceUid !== undefined) where.push(`study_instance_uid = $${args.push(options.studyInstanceUid)}`);
      const limit = `$${args.push(options.limit)}`;
      return (await rows<OutboxRow>(this.pool, `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`, args)).map(toOutboxItem);
    });
  }

  countByDestinationAndState(): Promise<Array<{ destination: string; state: OutboxState; count: number }>> {
    // ordered as SQLite's GROUP BY returns them
    return guarded('count', 'outbox', () =>
      rows<{ destination: string; state: OutboxState; count: number }>(
        this.pool,
        'SELECT destination, state, COUNT(*) AS count FROM outbox GROUP BY destination, state ORDER BY destination, state',
        [],
      ),
    );
  }

  destinationStats(): Promise<OutboxDestinationStats[]> {
    return guarded('destination stats', 'outbox', () =>
      rows<OutboxDestinationStats>(
        this.pool,
        `SELECT destination,
                COUNT(*) FILTER (WHERE state IN ('pending', 'sending')) AS pending,
                COUNT(*) FILTER (WHERE state = 'dead') AS dead,
                MAX(delivered_at) AS "lastDeliveredAt",
                (SELECT o2.last_error FROM outbox o2 WHERE o2.destination = o.destination AND o2.state <> 'delivered' AND o2.last_error IS NOT NULL
                  ORDER BY o2.updated_at DESC, o2.id DESC LIMIT 1) AS "lastError",
                (SELECT MAX(o3.updated_at) FROM outbox o3 WHERE o3.destination = o.destination AND o3.state <> 'delivered' AND o3.last_error IS NOT NULL) AS "lastErrorAt"
           FROM outbox o GROUP BY destination ORDER BY destination`,
        [],
      ),
    );
  }
}
