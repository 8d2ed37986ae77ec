/**
 * Study completion on PostgreSQL (src/studies' StudyStore): the same conditional state change as on SQLite
 * (`IS_COMPLETE_SQL`, one text for both engines), and the analysis job queued in the same transaction.
 *
 * Exactly one node completes a study: every node's timer (or sweep) may call `completeIfDue` for it, but the UPDATE
 * is conditional on `status = 'receiving'`. A second node's UPDATE waits for the first one's row lock and, once
 * that commits, re-checks its WHERE on the new row version (PostgreSQL docs, 13.2.1 "Read Committed Isolation
 * Level"): the study is complete, no row changes, no job. An instance recorded meanwhile on any node has pushed
 * `complete_due_at` back, and the re-check sees that too.
 */
import type { Enqueued } from '../../queue/index.js';
import { IS_COMPLETE_SQL, type StudyProgress, type StudyStore } from '../../studies/index.js';
import { isoNow } from '../database.js';
import { compileNamed } from './named-sql.js';
import { guarded, pgTransaction, rows, type PgTx, type Pool } from './pool.js';

/** The job queue's transactional enqueue (PgJobQueue): the analysis job commits with the state change. */
export interface PgJobEnqueue {
  enqueueIn(tx: PgTx, job: { kind: string; studyInstanceUid: string }, nowMs: number): Promise<Enqueued>;
}

const COMPLETE = compileNamed<{ study: string; now: string }>(
  `UPDATE studies AS s SET status = 'complete', completed_at = @now, complete_due_at = NULL
    WHERE s.study_instance_uid = @study AND s.status = 'receiving' AND ${IS_COMPLETE_SQL}`,
);

export class PgStudyStore implements StudyStore {
  constructor(
    private readonly pool: Pool,
    private readonly jobs: PgJobEnqueue,
    /** The job queued when a study completes. */
    private readonly jobKind: string,
  ) {}

  receiving(): Promise<StudyProgress[]> {
    return guarded('list receiving studies', 'studies', async () => {
      const found = await rows<{ study_instance_uid: string; complete_due_at: string; n: number; expected_instances: number | null }>(
        this.pool,
        `SELECT s.study_instance_uid, s.complete_due_at, s.expected_instances,
                (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n
           FROM studies s WHERE s.status = 'receiving' ORDER BY s.complete_due_at, s.study_instance_uid`,
        [],
      );
      return found.map((r) => ({
        studyInstanceUid: r.study_instance_uid,
        completeDueAtMs: Date.parse(r.complete_due_at),
        instanceCount: r.n,
        expectedInstances: r.expected_instances ?? undefined,
      }));
    });
  }

  dueAt(studyInstanceUid: string): Promise<number | undefined> {
    return guarded('read due time', 'studies', async () => {
      const [row] = await rows<{ due: string | null }>(
        this.pool,
        `SELECT complete_due_at AS due FROM studies WHERE study_instance_uid = $1 AND status = 'receiving'`,
        [studyInstanceUid],
      );
      return row?.due == null ? undefined : Date.parse(row.due);
    });
  }

  completeIfDue(studyInstanceUid: string, nowMs: number): Promise<boolean> {
    return guarded('complete study', 'studies', () =>
      pgTransaction(this.pool, async (tx) => {
        const changed = await tx.client.query(COMPLETE.text, COMPLETE.bind({ study: studyInstanceUid, now: isoNow(nowMs) }));
        if ((changed.rowCount ?? 0) === 0) return false;
        await this.jobs.enqueueIn(tx, { kind: this.jobKind, studyInstanceUid }, nowMs);
        return true;
      }),
    );
  }
}
