/** Durable jobs (analysis of a study, processing of a report) on the Queue seam: the SQLite `jobs` table. */
import type { Enqueued, QueueItem } from '../queue/index.js';
import type { Db } from './database.js';
import { isoNow } from './database.js';
import { SqliteQueue, type QueueTable } from './sqlite-queue.js';

export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JobKind = { AnalyzeStudy: 'analyze-study', ProcessReport: 'process-report' } as const;

export interface Job extends QueueItem {
  kind: string;
  studyInstanceUid: string;
  /** What else the job is about: the hl7_messages id of a process-report job; null for study jobs. */
  refId: number | null;
  state: JobState;
  nextAttemptAt: string;
  lastError: string | null;
}

export interface NewJob {
  kind: string;
  studyInstanceUid: string;
  refId?: number;
}

export interface JobRow {
  id: number;
  kind: string;
  study_instance_uid: string;
  ref_id: number | null;
  state: JobState;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
}

/** The jobs table as a queue; its SQL (COALESCE, @name parameters) is read by both engines' adapters. */
export const JOBS_TABLE: QueueTable<JobRow, Job> = {
  table: 'jobs',
  partitionColumn: 'kind',
  states: { ready: 'queued', claimed: 'running', done: 'done', dead: 'failed' },
  claimSet: 'started_at = @now',
  completeSet: 'last_error = NULL',
  // At most one queued job per kind, study and report (unique index jobs_one_queued): a re-opened study queued a
  // newer analysis, so retrying this one would do the same work twice.
  superseded: `EXISTS (SELECT 1 FROM jobs j2 WHERE j2.kind = jobs.kind AND j2.study_instance_uid = jobs.study_instance_uid
                 AND COALESCE(j2.ref_id, 0) = COALESCE(jobs.ref_id, 0) AND j2.state = 'queued' AND j2.id <> jobs.id)`,
  toItem: toJob,
};

export class SqliteJobQueue extends SqliteQueue<JobRow, Job, NewJob> {
  private readonly insertStmt;
  private readonly queuedStmt;

  constructor(db: Db) {
    super(db, JOBS_TABLE);
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO jobs (kind, study_instance_uid, ref_id, state, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)`,
    );
    this.queuedStmt = db.prepare<[string, string, number], { id: number }>(
      `SELECT id FROM jobs WHERE kind = ? AND study_instance_uid = ? AND IFNULL(ref_id, 0) = ? AND state = 'queued'`,
    );
  }

  /** One queued job per kind, study and report: enqueueing again while one waits answers the waiting one. */
  protected insert(job: NewJob, nowMs: number): Enqueued {
    const now = isoNow(nowMs);
    const r = this.insertStmt.run(job.kind, job.studyInstanceUid, job.refId ?? null, now, now, now);
    if (r.changes === 1) return { id: Number(r.lastInsertRowid), created: true };
    return { id: this.queuedStmt.get(job.kind, job.studyInstanceUid, job.refId ?? 0)?.id ?? 0, created: false };
  }
}

export function toJob(r: JobRow): Job {
  return {
    id: r.id,
    partition: r.kind,
    kind: r.kind,
    studyInstanceUid: r.study_instance_uid,
    refId: r.ref_id,
    state: r.state,
    attempts: r.attempts,
    createdAtMs: Date.parse(r.created_at),
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
  };
}
