/** The durable job queue (SQLite rows): what is queued survives a crash and is claimed again on start. */
import type { Db } from './database.js';

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
