/**
 * The SQLite side of study completion: the study row's upsert for each recorded instance (run by the writer
 * thread, db/instance-writes.ts: it sets the due time and re-opens a completed study on a late instance) and the
 * completion itself, which marks the study complete and queues its analysis job through the Queue in one
 * transaction: both happen, or neither.
 */
import type Database from 'better-sqlite3';
import type { Enqueued, TransactionalEnqueue } from '../queue/index.js';
import { CompletionRule, IS_COMPLETE_SQL, type StudyProgress } from './completion-rule.js';
import type { StudyStore } from './study-assembler.js';

type Db = Database.Database;
/** The SQLite job queue's transactional enqueue (db/job-queue.ts), structurally: this area does not import db. */
export type SqliteJobEnqueue = TransactionalEnqueue<{ kind: string; studyInstanceUid: string }, { readonly db: Db }, Enqueued>;

/** What one received instance says about its study (the columns of the studies row it refreshes). */
export interface StudyActivity {
  studyInstanceUid: string;
  accessionNumber: string;
  studyDate: string;
  studyDescription: string;
  expectedStudyInstances: number | undefined;
  receivedAtMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The study-row half of recording an instance, run inside the writer's transaction: creates the study, or
 * refreshes it and pushes its due time back — re-opening it ('receiving') if it had completed.
 */
export function prepareStudyActivity(db: Db, rule: CompletionRule): (a: StudyActivity) => void {
  const upsert = db.prepare(`
    INSERT INTO studies (study_instance_uid, accession_number, study_date, study_description, status,
                         expected_instances, first_received_at, last_received_at, complete_due_at)
    VALUES (@study, @accession, @studyDate, @studyDescription, 'receiving', @expected, @now, @now, @due)
    ON CONFLICT (study_instance_uid) DO UPDATE SET
      status = 'receiving',
      accession_number = CASE WHEN excluded.accession_number <> '' THEN excluded.accession_number ELSE accession_number END,
      study_date = CASE WHEN excluded.study_date <> '' THEN excluded.study_date ELSE study_date END,
      study_description = CASE WHEN excluded.study_description <> '' THEN excluded.study_description ELSE study_description END,
      expected_instances = COALESCE(excluded.expected_instances, expected_instances),
      last_received_at = excluded.last_received_at,
      complete_due_at = excluded.complete_due_at`);
  return (a) =>
    void upsert.run({
      study: a.studyInstanceUid,
      accession: a.accessionNumber,
      studyDate: a.studyDate,
      studyDescription: a.studyDescription,
      expected: a.expectedStudyInstances ?? null,
      now: iso(a.receivedAtMs),
      due: iso(rule.dueAt(a.receivedAtMs)),
    });
}

export class SqliteStudyStore implements StudyStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly jobs: SqliteJobEnqueue,
    /** The job queued when a study completes. */
    private readonly jobKind: string,
  ) {
    this.s = {
      receiving: db.prepare<[], { study_instance_uid: string; complete_due_at: string; n: number; expected_instances: number | null }>(
        `SELECT s.study_instance_uid, s.complete_due_at, s.expected_instances,
                (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n
           FROM studies s WHERE s.status = 'receiving'`,
      ),
      dueAt: db.prepare<[string], { due: string | null }>(`SELECT complete_due_at AS due FROM studies WHERE study_instance_uid = ? AND status = 'receiving'`),
      complete: db.prepare<{ study: string; now: string }>(
        `UPDATE studies AS s SET status = 'complete', completed_at = @now, complete_due_at = NULL
          WHERE s.study_instance_uid = @study AND s.status = 'receiving' AND ${IS_COMPLETE_SQL}`,
      ),
    };
  }

  async receiving(): Promise<StudyProgress[]> {
    return this.s.receiving.all().map((r) => ({
      studyInstanceUid: r.study_instance_uid,
      completeDueAtMs: Date.parse(r.complete_due_at),
      instanceCount: r.n,
      expectedInstances: r.expected_instances ?? undefined,
    }));
  }

  async dueAt(studyInstanceUid: string): Promise<number | undefined> {
    const due = this.s.dueAt.get(studyInstanceUid)?.due;
    return due == null ? undefined : Date.parse(due);
  }

  async completeIfDue(studyInstanceUid: string, nowMs: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (this.s.complete.run({ study: studyInstanceUid, now: iso(nowMs) }).changes === 0) return false;
      this.jobs.enqueueIn({ db: this.db }, { kind: this.jobKind, studyInstanceUid }, nowMs);
      return true;
    })();
  }
}
