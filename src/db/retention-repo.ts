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

/** The eligibility rule, one SQL predicate on `s` (a studies row), shared by listing and purging. */
const PURGEABLE = `
  s.status = 'complete'
  AND EXISTS (SELECT 1 FROM instances i WHERE i.study_instance_uid = s.study_instance_uid)
  AND (SELECT j.state FROM jobs j WHERE j.study_instance_uid = s.study_instance_uid AND j.kind = 'analyze-study' ORDER BY j.id DESC LIMIT 1) = 'done'
  AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.study_instance_uid = s.study_instance_uid AND j.kind = 'analyze-study' AND j.state IN ('queued', 'running'))
  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.study_instance_uid = s.study_instance_uid AND o.state <> 'delivered')`;

export class RetentionRepo {
  constructor(private readonly db: Db) {}

  /** Purgeable studies, the longest quiet first. */
  candidates(): PurgeCandidate[] {
    return this.db
      .prepare<[], { study_instance_uid: string; last_received_at: string; n: number; bytes: number }>(
        `SELECT s.study_instance_uid, s.last_received_at,
                (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n,
                (SELECT COALESCE(SUM(size_bytes), 0) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS bytes
           FROM studies s WHERE ${PURGEABLE}
          ORDER BY s.last_received_at, s.study_instance_uid`,
      )
      .all()
      .map((r) => ({ studyInstanceUid: r.study_instance_uid, lastReceivedAt: r.last_received_at, instanceCount: r.n, bytes: r.bytes }));
  }

  /** Bytes of every indexed instance in the spool (the number `housekeeping.retention.maxTotalBytes` bounds). */
  totalInstanceBytes(): number {
    return this.db.prepare<[], { b: number }>('SELECT COALESCE(SUM(size_bytes), 0) AS b FROM instances').get()?.b ?? 0;
  }

  /**
   * Re-checks the rule and, if the study still qualifies, removes its instance rows and records the purge, in one
   * transaction. Returns what to delete from disk, or undefined when the study no longer qualifies (it re-opened,
   * or a delivery was queued, since it was listed). Rows go before files: a crash in between leaves orphan files,
   * never rows that point at nothing.
   */
  purge(studyInstanceUid: string, nowMs: number): PurgedStudy | undefined {
    return this.db.transaction(() => {
      const ok = this.db.prepare<[string], { n: number }>(`SELECT COUNT(*) AS n FROM studies s WHERE s.study_instance_uid = ? AND ${PURGEABLE}`).get(studyInstanceUid);
      if (ok?.n !== 1) return undefined;
      const rows = this.db.prepare<[string], { path: string; size_bytes: number }>('SELECT path, size_bytes FROM instances WHERE study_instance_uid = ?').all(studyInstanceUid);
      const bytes = rows.reduce((sum, r) => sum + r.size_bytes, 0);
      const resultPaths = this.db
        .prepare<[string], { payload: string }>(`SELECT DISTINCT payload FROM outbox WHERE study_instance_uid = ? AND kind = 'dicom' AND state = 'delivered'`)
        .all(studyInstanceUid)
        .map((r) => r.payload);
      this.db.prepare('DELETE FROM instances WHERE study_instance_uid = ?').run(studyInstanceUid);
      this.db
        .prepare('UPDATE studies SET purged_at = ?, purged_instances = purged_instances + ?, purged_bytes = purged_bytes + ? WHERE study_instance_uid = ?')
        .run(isoNow(nowMs), rows.length, bytes, studyInstanceUid);
      return { studyInstanceUid, instancePaths: rows.map((r) => r.path), resultPaths, bytes };
    })();
  }
}
