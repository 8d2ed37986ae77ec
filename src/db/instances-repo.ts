/**
 * Indexes stored instances and keeps their study rows current. Writes are group-committed: records that
 * arrive in the same event-loop turn share one transaction (one WAL fsync), which is what lets several
 * associations store at disk speed.
 */
import type { Db } from './database.js';
import { isoNow } from './database.js';

export interface InstanceRecord {
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  accessionNumber: string;
  modality: string;
  bodyPart: string;
  seriesNumber: number | undefined;
  instanceNumber: number | undefined;
  sizeBytes: number;
  /** Relative to the spool root. */
  path: string;
  callingAe: string;
  receivedAtMs: number;
  studyDate: string;
  studyDescription: string;
  expectedStudyInstances: number | undefined;
}

/** Where the study stands after an instance was recorded: enough for the assembler to schedule completion. */
export interface StudyProgress {
  studyInstanceUid: string;
  instanceCount: number;
  expectedInstances: number | undefined;
  completeDueAtMs: number;
}

export interface ExistingInstance {
  path: string;
  sizeBytes: number;
  studyInstanceUid: string;
}

interface Pending {
  record: InstanceRecord;
  resolve: (p: StudyProgress) => void;
  reject: (e: unknown) => void;
}

export class InstancesRepo {
  private pending: Pending[] = [];
  private flushScheduled = false;
  private readonly quietMs: number;
  private readonly stmts;

  constructor(
    private readonly db: Db,
    options: { studyQuietSeconds: number },
  ) {
    this.quietMs = Math.round(options.studyQuietSeconds * 1000);
    this.stmts = {
      findInstance: db.prepare<[string], { path: string; size_bytes: number; study_instance_uid: string }>(
        'SELECT path, size_bytes, study_instance_uid FROM instances WHERE sop_instance_uid = ?',
      ),
      upsertStudy: db.prepare(`
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
          complete_due_at = excluded.complete_due_at`),
      upsertInstance: db.prepare(`
        INSERT INTO instances (sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid,
          transfer_syntax_uid, accession_number, modality, body_part, series_number, instance_number,
          size_bytes, path, calling_ae, received_at)
        VALUES (@sop, @study, @series, @sopClass, @ts, @accession, @modality, @bodyPart, @seriesNumber,
          @instanceNumber, @size, @path, @callingAe, @now)
        ON CONFLICT (sop_instance_uid) DO UPDATE SET
          study_instance_uid = excluded.study_instance_uid, series_instance_uid = excluded.series_instance_uid,
          sop_class_uid = excluded.sop_class_uid, transfer_syntax_uid = excluded.transfer_syntax_uid,
          accession_number = excluded.accession_number, modality = excluded.modality, body_part = excluded.body_part,
          series_number = excluded.series_number, instance_number = excluded.instance_number,
          size_bytes = excluded.size_bytes, path = excluded.path, calling_ae = excluded.calling_ae,
          received_at = excluded.received_at`),
      studyCounts: db.prepare<[string], { n: number; expected: number | null }>(
        `SELECT (SELECT COUNT(*) FROM instances WHERE study_instance_uid = s.study_instance_uid) AS n,
                s.expected_instances AS expected
           FROM studies s WHERE s.study_instance_uid = ?`,
      ),
    };
  }

  find(sopInstanceUid: string): ExistingInstance | undefined {
    const row = this.stmts.findInstance.get(sopInstanceUid);
    return row === undefined ? undefined : { path: row.path, sizeBytes: row.size_bytes, studyInstanceUid: row.study_instance_uid };
  }

  /** Records an instance (insert, or replace a previous version); resolves once the transaction has committed. */
  record(record: InstanceRecord): Promise<StudyProgress> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.flushScheduled = false;
    try {
      const results = this.db.transaction(() => batch.map((p) => this.write(p.record)))();
      batch.forEach((p, i) => p.resolve(results[i] as StudyProgress));
    } catch {
      // One bad row must not fail its neighbours: retry each on its own.
      for (const p of batch) {
        try {
          p.resolve(this.db.transaction(() => this.write(p.record))());
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  private write(r: InstanceRecord): StudyProgress {
    const now = isoNow(r.receivedAtMs);
    const dueMs = r.receivedAtMs + this.quietMs;
    this.stmts.upsertStudy.run({
      study: r.studyInstanceUid,
      accession: r.accessionNumber,
      studyDate: r.studyDate,
      studyDescription: r.studyDescription,
      expected: r.expectedStudyInstances ?? null,
      now,
      due: isoNow(dueMs),
    });
    this.stmts.upsertInstance.run({
      sop: r.sopInstanceUid,
      study: r.studyInstanceUid,
      series: r.seriesInstanceUid,
      sopClass: r.sopClassUid,
      ts: r.transferSyntaxUid,
      accession: r.accessionNumber,
      modality: r.modality,
      bodyPart: r.bodyPart,
      seriesNumber: r.seriesNumber ?? null,
      instanceNumber: r.instanceNumber ?? null,
      size: r.sizeBytes,
      path: r.path,
      callingAe: r.callingAe,
      now,
    });
    const counts = this.stmts.studyCounts.get(r.studyInstanceUid) as { n: number; expected: number | null };
    return {
      studyInstanceUid: r.studyInstanceUid,
      instanceCount: counts.n,
      expectedInstances: counts.expected ?? undefined,
      completeDueAtMs: dueMs,
    };
  }
}
