/**
 * The operator's summary of the queues: jobs by state, outbox depth per destination, dead letters and the latest
 * errors. Served by `GET /api/status` and read directly (read-only) by `pacs-ai-gateway status` when no daemon
 * answers. UIDs appear (operators need them to act); patient data never does.
 */
import type { Db } from './database.js';
import { JOB_STATES, type JobState } from './job-queue.js';
import { OUTBOX_STATES, type OutboxState } from './outbox-queue.js';

export interface DestinationDepth {
  destination: string;
  kind: string;
  pending: number;
  sending: number;
  delivered: number;
  dead: number;
}

export interface RecentError {
  source: 'job' | 'outbox';
  id: number;
  studyInstanceUid: string;
  /** The outbox destination; absent for jobs. */
  destination?: string;
  state: string;
  attempts: number;
  error: string;
  at: string;
}

export interface StatusSummary {
  studies: { receiving: number; complete: number; purged: number };
  jobs: Record<JobState, number>;
  outbox: DestinationDepth[];
  deadLetters: number;
  lastErrors: RecentError[];
}

/** The operator's summary, as the API and the `status` command read it. */
export interface StatusReader {
  /** `errors`: how many of the latest errors to list (default 10). */
  summary(options?: { errors: number }): Promise<StatusSummary>;
}

/** The rows each engine reads for the summary, the same on both. */
export interface StatusRows {
  studies: Array<{ status: 'receiving' | 'complete'; n: number; purged: number }>;
  jobs: Array<{ state: JobState; n: number }>;
  /** Ordered by destination. */
  outbox: Array<{ destination: string; kind: string; state: OutboxState; n: number }>;
  errors: Array<{ source: 'job' | 'outbox'; id: number; study: string; destination: string | null; state: string; attempts: number; error: string; at: string }>;
}

/** The summary from its rows: one mapping, so both engines answer the same shape. */
export function summarize(rows: StatusRows): StatusSummary {
  const studies = { receiving: 0, complete: 0, purged: 0 };
  for (const r of rows.studies) {
    studies[r.status] = r.n;
    studies.purged += r.purged;
  }
  const jobs = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  for (const r of rows.jobs) jobs[r.state] = r.n;
  const byDest = new Map<string, DestinationDepth>();
  for (const r of rows.outbox) {
    const d = byDest.get(r.destination) ?? { destination: r.destination, kind: r.kind, ...(Object.fromEntries(OUTBOX_STATES.map((s) => [s, 0])) as Record<OutboxState, number>) };
    d[r.state] = r.n;
    byDest.set(r.destination, d);
  }
  const outbox = [...byDest.values()];
  const lastErrors = rows.errors.map((r) => ({
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
}

export class StatusRepo implements StatusReader {
  private readonly studiesStmt;
  private readonly jobsStmt;
  private readonly outboxStmt;
  private readonly errorsStmt;

  constructor(db: Db) {
    this.studiesStmt = db.prepare<[], { status: 'receiving' | 'complete'; n: number; purged: number }>(
      'SELECT status, COUNT(*) AS n, SUM(purged_at IS NOT NULL) AS purged FROM studies GROUP BY status',
    );
    this.jobsStmt = db.prepare<[], { state: JobState; n: number }>('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state');
    this.outboxStmt = db.prepare<[], { destination: string; kind: string; state: OutboxState; n: number }>(
      'SELECT destination, kind, state, COUNT(*) AS n FROM outbox GROUP BY destination, kind, state ORDER BY destination',
    );
    this.errorsStmt = db.prepare<[number], { source: 'job' | 'outbox'; id: number; study: string; destination: string | null; state: string; attempts: number; error: string; at: string }>(
      `SELECT * FROM (
         SELECT 'job' AS source, id, study_instance_uid AS study, NULL AS destination, state, attempts, last_error AS error, updated_at AS at
           FROM jobs WHERE last_error IS NOT NULL AND state <> 'done'
         UNION ALL
         SELECT 'outbox', id, study_instance_uid, destination, state, attempts, last_error, updated_at
           FROM outbox WHERE last_error IS NOT NULL AND state <> 'delivered')
       ORDER BY at DESC, id DESC LIMIT ?`,
    );
  }

  async summary(options: { errors: number } = { errors: 10 }): Promise<StatusSummary> {
    return summarize({ studies: this.studiesStmt.all(), jobs: this.jobsStmt.all(), outbox: this.outboxStmt.all(), errors: this.errorsStmt.all(options.errors) });
  }
}
