/** What the API, status and metrics read about jobs; claiming and settling them is the queue's (job-queue.ts). */
import type { Db } from './database.js';
import { JobKind, toJob, type Job, type JobRow, type JobState } from './job-queue.js';

export interface JobsReader {
  /** The analysis jobs of a study, oldest first. */
  forStudy(studyInstanceUid: string): Promise<Job[]>;
  countByState(): Promise<Record<JobState, number>>;
  /** Rows per (kind, state), for the metrics. */
  countByKindAndState(): Promise<Array<{ kind: string; state: JobState; count: number }>>;
}

export class JobsRepo implements JobsReader {
  constructor(private readonly db: Db) {}

  async forStudy(studyInstanceUid: string): Promise<Job[]> {
    return this.db
      .prepare<[string, string], JobRow>('SELECT * FROM jobs WHERE study_instance_uid = ? AND kind = ? ORDER BY id')
      .all(studyInstanceUid, JobKind.AnalyzeStudy)
      .map(toJob);
  }

  async countByState(): Promise<Record<JobState, number>> {
    const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of this.db.prepare<[], { state: JobState; n: number }>('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all()) {
      counts[r.state] = r.n;
    }
    return counts;
  }

  async countByKindAndState(): Promise<Array<{ kind: string; state: JobState; count: number }>> {
    return this.db.prepare<[], { kind: string; state: JobState; count: number }>('SELECT kind, state, COUNT(*) AS count FROM jobs GROUP BY kind, state').all();
  }
}
