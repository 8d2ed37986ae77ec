/** What the API, status and metrics read about jobs, on PostgreSQL (db/jobs-repo.ts on SQLite). */
import { JobKind, toJob, type Job, type JobRow, type JobState } from '../job-queue.js';
import type { JobsReader } from '../jobs-repo.js';
import { guarded, rows, type Pool } from './pool.js';

export class PgJobsReader implements JobsReader {
  constructor(private readonly pool: Pool) {}

  forStudy(studyInstanceUid: string): Promise<Job[]> {
    return guarded('list a study', 'jobs', async () =>
      (await rows<JobRow>(this.pool, 'SELECT * FROM jobs WHERE study_instance_uid = $1 AND kind = $2 ORDER BY id', [studyInstanceUid, JobKind.AnalyzeStudy])).map(toJob),
    );
  }

  countByState(): Promise<Record<JobState, number>> {
    return guarded('count', 'jobs', async () => {
      const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, failed: 0 };
      for (const r of await rows<{ state: JobState; n: number }>(this.pool, 'SELECT state, COUNT(*) AS n FROM jobs GROUP BY state', [])) counts[r.state] = r.n;
      return counts;
    });
  }

  countByKindAndState(): Promise<Array<{ kind: string; state: JobState; count: number }>> {
    // ordered as SQLite's GROUP BY returns them
    return guarded('count', 'jobs', () =>
      rows<{ kind: string; state: JobState; count: number }>(this.pool, 'SELECT kind, state, COUNT(*) AS count FROM jobs GROUP BY kind, state ORDER BY kind, state', []),
    );
  }
}
