/** The operator's summary of the queues, on PostgreSQL (db/status-repo.ts on SQLite: the same shape and order). */
import { JOB_STATES, type JobState } from '../job-queue.js';
import { OUTBOX_STATES, type OutboxState } from '../outbox-queue.js';
import type { DestinationDepth, StatusReader, StatusSummary } from '../status-repo.js';
import { guarded, rows, type Pool } from './pool.js';

export class PgStatusReader implements StatusReader {
  constructor(private readonly pool: Pool) {}

  summary(options: { errors: number } = { errors: 10 }): Promise<StatusSummary> {
    return guarded('status summary', 'studies, jobs, outbox', async () => {
      const studies = { receiving: 0, complete: 0, purged: 0 };
      for (const r of await rows<{ status: 'receiving' | 'complete'; n: number; purged: number }>(
        this.pool,
        'SELECT status, COUNT(*) AS n, COUNT(purged_at) AS purged FROM studies GROUP BY status',
        [],
      )) {
        studies[r.status] = r.n;
        studies.purged += r.purged;
      }
      const jobs = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
      for (const r of await rows<{ state: JobState; n: number }>(this.pool, 'SELECT state, COUNT(*) AS n FROM jobs GROUP BY state', [])) jobs[r.state] = r.n;
      const byDest = new Map<string, DestinationDepth>();
      for (const r of await rows<{ destination: string; kind: string; state: OutboxState; n: number }>(
        this.pool,
        'SELECT destination, kind, state, COUNT(*) AS n FROM outbox GROUP BY destination, kind, state ORDER BY destination, kind, state',
        [],
      )) {
        const d = byDest.get(r.destination) ?? { destination: r.destination, kind: r.kind, ...(Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>) };
        d[r.state] = r.n;
        byDest.set(r.destination, d);
      }
      const outbox = [...byDest.values()];
      const errors = await rows<{ source: 'job' | 'outbox'; id: number; study: string; destination: string | null; state: string; attempts: number; error: string; at: string }>(
        this.pool,
        `SELECT * FROM (
           SELECT 'job' AS source, id, study_instance_uid AS study, NULL::text AS destination, state, attempts, last_error AS error, updated_at AS at
             FROM jobs WHERE last_error IS NOT NULL AND state <> 'done'
           UNION ALL
           SELECT 'outbox', id, study_instance_uid, destination, state, attempts, last_error, updated_at
             FROM outbox WHERE last_error IS NOT NULL AND state <> 'delivered') AS e
         ORDER BY at DESC, id DESC LIMIT $1`,
        [options.errors],
      );
      const lastErrors = errors.map((r) => ({
        source: r.source,
        id: r.id,
        studyInstanceUid: r.study,
        ...(r.destination === null ? {} : { destination: r.destination }),
        state: r.state,
        attempts: r.attempts,
        error: r.error,
        at: r.at,
      }));
      return { studies, jobs, outbox, deadLetters: outbox.reduce((n, d) => n + d.dead, 0), lastErrors };
    });
  }
}
