/** Study rows: completion, listing for the API, and what to resume after a restart. */
import type { Db } from './database.js';
import { isoNow } from './database.js';
import type { SqliteJobQueue } from './job-queue.js';

export const STUDY_STATES = ['receiving', 'complete'] as const;
export type StudyState = (typeof STUDY_STATES)[number];

export interface StudySummary {
  studyInstanceUid: string;
  accessionNumber: string;
  modalities: string[];
  instanceCount: number;
  status: StudyState;
  receivedAt: string;
  completedAt: string | null;
  purgedAt: string | null;
}

interface StudyRow {
  study_instance_uid: string;
  accession_number: string;
  status: StudyState;
  first_received_at: string;
  completed_at: string | null;
  purged_at: string | null;
  modalities: string | null;
  n: number;
}

export class StudiesRepo {
  constructor(
    private readonly db: Db,
    private readonly jobs: SqliteJobQueue,
  ) {}

  /** Receiving studies and when each falls due: the assembler re-arms its timers from this on start. */
  receiving(): Array<{ studyInstanceUid: string; completeDueAtMs: number; instanceCount: number; expectedInstances: number | undefined }> {
    return this.db
      .prepare<[], { study_instance_uid: string; complete_due_at: string; n: number; expected_instances: number | null }>(
        `SELECT s.study_instance_uid, s.complete_due_at, s.expected_instances,
                (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n
           FROM studies s WHERE s.status = 'receiving'`,
      )
      .all()
      .map((r) => ({
        studyInstanceUid: r.study_instance_uid,
        completeDueAtMs: Date.parse(r.complete_due_at),
        instanceCount: r.n,
        expectedInstances: r.expected_instances ?? undefined,
      }));
  }

  /**
   * Marks a study complete and queues its analysis, in one transaction, if it is still receiving and either
   * due or at its expected count. Returns whether it completed now.
   */
  dueAt(studyInstanceUid: string): number | undefined {
    const row = this.db
      .prepare<[string], { due: string | null }>(`SELECT complete_due_at AS due FROM studies WHERE study_instance_uid = ? AND status = 'receiving'`)
      .get(studyInstanceUid);
    return row?.due == null ? undefined : Date.parse(row.due);
  }

  complete(studyInstanceUid: string, nowMs: number, jobKind: string): boolean {
    return this.db.transaction(() => {
      const now = isoNow(nowMs);
      const changed = this.db
        .prepare(
          `UPDATE studies SET status = 'complete', completed_at = @now, complete_due_at = NULL
            WHERE study_instance_uid = @study AND status = 'receiving'
              AND (complete_due_at <= @now
                   OR expected_instances <= (SELECT COUNT(*) FROM instances WHERE study_instance_uid = @study))`,
        )
        .run({ study: studyInstanceUid, now }).changes;
      if (changed === 0) return false;
      this.jobs.enqueueIn({ db: this.db }, { kind: jobKind, studyInstanceUid }, nowMs);
      return true;
    })();
  }

  accessionOf(studyInstanceUid: string): string | undefined {
    return this.db.prepare<[string], { a: string }>('SELECT accession_number AS a FROM studies WHERE study_instance_uid = ?').get(studyInstanceUid)?.a;
  }

  /** Studies a report links to: by Study Instance UID when given, else by accession number. */
  linkedTo(studyInstanceUid: string, accessionNumber: string): string[] {
    return this.db
      .prepare<[string, string, string], { u: string }>(`SELECT study_instance_uid AS u FROM studies WHERE study_instance_uid = ? OR (? <> '' AND accession_number = ?)`)
      .all(studyInstanceUid, accessionNumber, accessionNumber)
      .map((r) => r.u);
  }

  list(options: { limit: number; offset: number }): StudySummary[] {
    return this.db
      .prepare<[number, number], StudyRow>(
        `SELECT s.study_instance_uid, s.accession_number, s.status, s.first_received_at, s.completed_at, s.purged_at,
                (SELECT GROUP_CONCAT(DISTINCT i.modality) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS modalities,
                (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n
           FROM studies s ORDER BY s.last_received_at DESC LIMIT ? OFFSET ?`,
      )
      .all(options.limit, options.offset)
      .map((r) => ({
        studyInstanceUid: r.study_instance_uid,
        accessionNumber: r.accession_number,
        modalities: (r.modalities ?? '').split(',').filter((m) => m !== '').sort(),
        instanceCount: r.n,
        status: r.status,
        receivedAt: r.first_received_at,
        completedAt: r.completed_at,
        purgedAt: r.purged_at,
      }));
  }
}
