/**
 * The SQL that records one instance and refreshes its study row, run by the writer worker. One call = rows for
 * one instance; the caller wraps calls in a transaction.
 */
import type { Db } from './database.js';
import { isoNow } from './database.js';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

export function prepareInstanceWrites(db: Db, quietMs: number): (r: InstanceRecord) => StudyProgress {
  const upsertStudy = db.prepare(`
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
  const upsertInstance = db.prepare(`
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
      received_at = excluded.received_at`);
  const studyCounts = db.prepare<[string], { n: number; expected: number | null }>(
    `SELECT (SELECT COUNT(*) FROM instances WHERE study_instance_uid = s.study_instance_uid) AS n,
            s.expected_instances AS expected
       FROM studies s WHERE s.study_instance_uid = ?`,
  );

  return (r) => {
    const now = isoNow(r.receivedAtMs);
    const dueMs = r.receivedAtMs + quietMs;
    if (r.reopensStudy || studyCounts.get(r.studyInstanceUid) === undefined) upsertStudy.run({
      study: r.studyInstanceUid,
      accession: r.accessionNumber,
      studyDate: r.studyDate,
      studyDescription: r.studyDescription,
      expected: r.expectedStudyInstances ?? null,
      now,
      due: isoNow(dueMs),
    });
    upsertInstance.run({
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
    const counts = studyCounts.get(r.studyInstanceUid) as { n: number; expected: number | null };
    return { studyInstanceUid: r.studyInstanceUid, instanceCount: counts.n, expectedInstances: counts.expected ?? undefined, completeDueAtMs: dueMs };
  };
}
