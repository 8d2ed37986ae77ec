/** The durable job queue (SQLite rows): what is queued survives a crash and is claimed again on start. */
import type { Db } from './database.js';
import { isoNow } from './database.js';

export const JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JobKind = { AnalyzeStudy: 'analyze-study' } as const;

export interface Job {
  id: number;
  kind: string;
  studyInstanceUid: string;
  state: JobState;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
}

interface JobRow {
  id: number;
  kind: string;
  study_instance_uid: string;
  state: JobState;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
}

export class JobsRepo {
  constructor(private readonly db: Db) {}

  enqueue(kind: string, studyInstanceUid: string, nowMs: number): void {
    const now = isoNow(nowMs);
    this.db
      .prepare(`INSERT OR IGNORE INTO jobs (kind, study_instance_uid, state, next_attempt_at, created_at, updated_at) VALUES (?, ?, 'queued', ?, ?, ?)`)
      .run(kind, studyInstanceUid, now, now, now);
  }

  /** Takes the oldest due queued job of a kind and marks it running (attempts + 1). */
  claim(kind: string, nowMs: number): Job | undefined {
    const now = isoNow(nowMs);
    const row = this.db
      .prepare<[string, string, string, string], JobRow>(
        `UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ?, updated_at = ?
          WHERE id = (SELECT id FROM jobs WHERE kind = ? AND state = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1)
          RETURNING *`,
      )
      .get(now, now, kind, now);
    return row === undefined ? undefined : toJob(row);
  }

  complete(id: number, nowMs: number): void {
    this.db.prepare(`UPDATE jobs SET state = 'done', last_error = NULL, updated_at = ? WHERE id = ?`).run(isoNow(nowMs), id);
  }

  /** Records a failure: back to queued at `retryAtMs`, or failed for good when it is undefined. */
  fail(id: number, error: string, nowMs: number, retryAtMs: number | undefined): void {
    const now = isoNow(nowMs);
    if (retryAtMs === undefined) {
      this.db.prepare(`UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?`).run(error, now, id);
      return;
    }
    // A newer queued job for the same study (re-opened meanwhile) makes this retry redundant.
    const changed = this.db
      .prepare(
        `UPDATE jobs SET state = 'queued', last_error = ?, next_attempt_at = ?, updated_at = ?
          WHERE id = ? AND NOT EXISTS (SELECT 1 FROM jobs j2 WHERE j2.kind = jobs.kind AND j2.study_instance_uid = jobs.study_instance_uid AND j2.state = 'queued')`,
      )
      .run(error, isoNow(retryAtMs), now, id).changes;
    if (changed === 0) this.db.prepare(`UPDATE jobs SET state = 'failed', last_error = ?, updated_at = ? WHERE id = ?`).run(`${error} (superseded by a newer job)`, now, id);
  }

  /** After a crash, jobs left running are queued again (their work is idempotent). Returns how many. */
  requeueRunning(nowMs: number): number {
    const now = isoNow(nowMs);
    return this.db
      .prepare(
        `UPDATE jobs SET state = 'queued', next_attempt_at = ?, updated_at = ?
          WHERE state = 'running' AND NOT EXISTS (SELECT 1 FROM jobs j2 WHERE j2.kind = jobs.kind AND j2.study_instance_uid = jobs.study_instance_uid AND j2.state = 'queued')`,
      )
      .run(now, now).changes;
  }

  /** Earliest next_attempt_at of a queued job of this kind, for the worker's wake-up timer. */
  nextDueMs(kind: string): number | undefined {
    const row = this.db.prepare<[string], { t: string | null }>(`SELECT MIN(next_attempt_at) AS t FROM jobs WHERE kind = ? AND state = 'queued'`).get(kind);
    return row?.t ? Date.parse(row.t) : undefined;
  }

  forStudy(studyInstanceUid: string): Job[] {
    return this.db
      .prepare<[string], JobRow>('SELECT * FROM jobs WHERE study_instance_uid = ? ORDER BY id')
      .all(studyInstanceUid)
      .map(toJob);
  }

  countByState(): Record<JobState, number> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of this.db.prepare<[], { state: JobState; n: number }>('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all()) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  /** Rows per (kind, state), for the metrics. */
  countByKindAndState(): Array<{ kind: string; state: JobState; count: number }> {
    return this.db.prepare<[], { kind: string; state: JobState; count: number }>('SELECT kind, state, COUNT(*) AS count FROM jobs GROUP BY kind, state').all();
  }
}

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind,
    studyInstanceUid: r.study_instance_uid,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
  };
}
