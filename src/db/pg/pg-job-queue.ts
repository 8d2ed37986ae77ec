/** Durable jobs (analysis of a study, processing of a report) on PostgreSQL: the `jobs` table, as on SQLite. */
import type { Enqueued } from '../../queue/index.js';
import { isoNow } from '../database.js';
import { JOBS_TABLE, type Job, type JobRow, type NewJob } from '../job-queue.js';
import { PgQueue, type PgQueueOptions } from './pg-queue.js';
import type { Pool, PoolClient } from './pool.js';

export class PgJobQueue extends PgQueue<JobRow, Job, NewJob> {
  constructor(pool: Pool, options: PgQueueOptions = {}) {
    super(pool, JOBS_TABLE, options);
  }

  /**
   * One queued job per kind, study and report (unique index jobs_one_queued): enqueueing again while one waits
   * answers the waiting one. ON CONFLICT DO NOTHING never aborts the caller's transaction.
   */
  protected async insert(db: Pool | PoolClient, job: NewJob, nowMs: number): Promise<Enqueued> {
    const now = isoNow(nowMs);
    const inserted = await db.query<{ id: number }>(
      `INSERT INTO jobs (kind, study_instance_uid, ref_id, state, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, 'queued', $4, $4, $4) ON CONFLICT DO NOTHING RETURNING id`,
      [job.kind, job.studyInstanceUid, job.refId ?? null, now],
    );
    const id = inserted.rows[0]?.id;
    if (id !== undefined) return { id, created: true };
    const waiting = await db.query<{ id: number }>(
      `SELECT id FROM jobs WHERE kind = $1 AND study_instance_uid = $2 AND COALESCE(ref_id, 0) = $3 AND state = 'queued'`,
      [job.kind, job.studyInstanceUid, job.refId ?? 0],
    );
    return { id: waiting.rows[0]?.id ?? 0, created: false };
  }
}
