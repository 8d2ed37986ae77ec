/** The operator's summary of the queues, on PostgreSQL (db/status-repo.ts on SQLite: the same shape and order). */
import { summarize, type StatusReader, type StatusSummary } from '../status-repo.js';
import { guarded, rows, type Pool } from './pool.js';

export class PgStatusReader implements StatusReader {
  constructor(private readonly pool: Pool) {}

  summary(options: { errors: number } = { errors: 10 }): Promise<StatusSummary> {
    return guarded('status summary', 'studies, jobs, outbox', async () =>
      summarize({
        studies: await rows(this.pool, 'SELECT status, COUNT(*) AS n, COUNT(purged_at) AS purged FROM studies GROUP BY status', []),
        jobs: await rows(this.pool, 'SELECT state, COUNT(*) AS n FROM jobs GROUP BY state', []),
        outbox: await rows(this.pool, 'SELECT destination, kind, state, COUNT(*) AS n FROM outbox GROUP BY destination, kind, state ORDER BY destination, kind, state', []),
        errors: await rows(
          this.pool,
          `SELECT * FROM (
             SELECT 'job' AS source, id, study_instance_uid AS study, NULL::text AS destination, state, attempts, last_error AS error, updated_at AS at
               FROM jobs WHERE last_error IS NOT NULL AND state <> 'done'
             UNION ALL
             SELECT 'outbox', id, study_instance_uid, destination, state, attempts, last_error, updated_at
               FROM outbox WHERE last_error IS NOT NULL AND state <> 'delivered') AS e
           ORDER BY at DESC, id DESC LIMIT $1`,
          [options.errors],
        ),
      }),
    );
  }
}
