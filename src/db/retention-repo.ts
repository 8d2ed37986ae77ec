/**
 * What spool retention may purge, and the purge itself. A study is purgeable only when nothing still needs its
 * files: it is complete, its latest analysis job is done (none queued or running), and every outbox row of the
 * study is delivered. A failed analysis, a pending delivery or a dead letter keeps the study.
 */
import type { Db } from './database.js';
import { isoNow } from './database.js';

export interface PurgeCandidate {
  studyInstanceUid: string;
  lastReceivedAt: string;
  instanceCount: number;
  bytes: number;
}

export interface PurgedStudy {
  studyInstanceUid: string;
  /** Spool-relative paths of the instance files whose rows were removed: the caller deletes them. */
  instancePaths: string[];
  /** Spool-relative result SRs of the study's delivered DICOM outbox rows. */
  resultPaths: string[];
  bytes: number;
}

/**
 * The eligibility rule, one SQL predicate on `s` (a studies row), shared by listing and purging, and by both engines
 * (db/pg/pg-retention-store.ts runs the same text).
 */
export const PURGEABLE = `
  s.status = 'complete'
  AND EXISTS (SELECT 1 FROM instances i WHERE i.study_instance_uid = s.study_instance_uid)
  AND (SELECT j.state FROM jobs j WHERE j.study_instance_uid = s.study_instance_uid AND j.kind = 'analyze-study' ORDER BY j.id DESC LIMIT 1) = 'done'
  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.study_instance_uid = s.study_instance_uid AND j.kind = 'analyze-study' AND j.state IN ('queued', 'running'))
  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.study_instance_uid = s.study_instance_uid AND o.state <> 'delivered')`;

/** What spool retention reads and purges. */
export interface RetentionStore {
  /** Purgeable studies, the longest quiet first. */
  candidates(): Promise<PurgeCandidate[]>;
  /** Bytes of every indexed instance in the spool (the number `housekeeping.retention.maxTotalBytes` bounds). */
  totalInstanceBytes(): Promise<number>;
  /**
   * Re-checks the rule and, if the study still qualifies, removes its instance rows and records the purge, in one
   * transaction. Returns what to delete from the spool, or undefined when the study no longer qualifies (it
   * re-opened, or a delivery was queued, since it was listed). Rows go before files: a crash in between leaves
   * orphan files, never rows that point at nothing.
   */
  purge(studyInstanceUid: string, nowMs: number): Promise<PurgedStudy | undefined>;
}

export class RetentionRepo implements RetentionStore {
  private readonly candidatesStmt;
  private readonly totalStmt;
  private readonly purgeTx: (studyInstanceUid: string, nowMs: number) => PurgedStudy | undefined;

  constructor(db: Db) {
    this.candidatesStmt = db.prepare<[], { study_instance_uid: string; last_received_at: string; n: number; bytes: number }>(
      `SELECT s.study_instance_uid, s.last_received_at,
              (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n,
              (SELECT COALESCE(SUM(size_bytes), 0) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS bytes
         FROM studies s WHERE ${PURGEABLE}
        ORDER BY s.last_received_at, s.study_instance_uid`,
    );
    this.totalStmt = db.prepare<[], { b: number }>('SELECT COALESCE(SUM(size_bytes), 0) AS b FROM instances');
    const eligible = db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM studies s WHERE s.study_instance_uid = ? AND ${PURGEABLE}`);
    const instanceRows = db.prepare<[string], { path: string; size_bytes: number }>('SELECT path, size_bytes FROM instances WHERE study_instance_uid = ?');
    const deliveredResults = db.prepare<[string], { payload: string }>(
      `SELECT DISTINCT payload FROM outbox WHERE study_instance_uid = ? AND kind = 'dicom' AND state = 'delivered'`,
    );
    const deleteInstances = db.prepare('DELETE FROM instances WHERE study_instance_uid = ?');
    const markPurged = db.prepare(
      'UPDATE studies SET purged_at = ?, purged_instances = purged_instances + ?, purged_bytes = purged_bytes + ? WHERE study_instance_uid = ?',
    );
    this.purgeTx = db.transaction((studyInstanceUid: string, nowMs: number): PurgedStudy | undefined => {
      if (eligible.get(studyInstanceUid)?.n !== 1) return undefined;
      const rows = instanceRows.all(studyInstanceUid);
      const bytes = rows.reduce((sum, r) => sum + r.size_bytes, 0);
      const resultPaths = deliveredResults.all(studyInstanceUid).map((r) => r.payload);
      deleteInstances.run(studyInstanceUid);
      markPurged.run(isoNow(nowMs), rows.length, bytes, studyInstanceUid);
      return { studyInstanceUid, instancePaths: rows.map((r) => r.path), resultPaths, bytes };
    });
  }

  async candidates(): Promise<PurgeCandidate[]> {
    return this.candidatesStmt
      .all()
      .map((r) => ({ studyInstanceUid: r.study_instance_uid, lastReceivedAt: r.last_received_at, instanceCount: r.n, bytes: r.bytes }));
  }

  async totalInstanceBytes(): Promise<number> {
    return this.totalStmt.get()?.b ?? 0;
  }

  async purge(studyInstanceUid: string, nowMs: number): Promise<PurgedStudy | undefined> {
    return this.purgeTx(studyInstanceUid, nowMs);
  }
}
