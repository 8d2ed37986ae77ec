/**
 * The SQL that records one instance and refreshes its study row, run by the writer worker. One call = rows for
 * one instance; the caller wraps calls in a transaction. The study row (due time, re-open) is study completion's:
 * src/studies writes it.
 */
import { CompletionRule, prepareStudyActivity } from '../studies/index.js';
import type { Db } from './database.js';
import { isoNow } from './database.js';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

/** `nodeName`: written as the instance's `received_by` (cluster.nodeName; '' where no node name is given). */
export function prepareInstanceWrites(db: Db, quietMs: number, nodeName = ''): (r: InstanceRecord) => StudyProgress {
  const rule = new CompletionRule(quietMs);
  const studyActivity = prepareStudyActivity(db, rule);
  const upsertInstance = db.prepare(`
    INSERT INTO instances (sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid,
      transfer_syntax_uid, accession_number, modality, body_part, series_number, instance_number,
      size_bytes, path, calling_ae, received_at, received_by)
    VALUES (@sop, @study, @series, @sopClass, @ts, @accession, @modality, @bodyPart, @seriesNumber,
      @instanceNumber, @size, @path, @callingAe, @now, @node)
    ON CONFLICT (sop_instance_uid) DO UPDATE SET
      study_instance_uid = excluded.study_instance_uid, series_instance_uid = excluded.series_instance_uid,
      sop_class_uid = excluded.sop_class_uid, transfer_syntax_uid = excluded.transfer_syntax_uid,
      accession_number = excluded.accession_number, modality = excluded.modality, body_part = excluded.body_part,
      series_number = excluded.series_number, instance_number = excluded.instance_number,
      size_bytes = excluded.size_bytes, path = excluded.path, calling_ae = excluded.calling_ae,
      received_at = excluded.received_at, received_by = excluded.received_by`);
  const studyCounts = db.prepare<[string], { n: number; expected: number | null }>(
    `SELECT (SELECT COUNT(*) FROM instances WHERE study_instance_uid = s.study_instance_uid) AS n,
            s.expected_instances AS expected
       FROM studies s WHERE s.study_instance_uid = ?`,
  );

  return (r) => {
    const now = isoNow(r.receivedAtMs);
    if (r.reopensStudy || studyCounts.get(r.studyInstanceUid) === undefined) studyActivity(r);
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
      node: nodeName,
    });
    const counts = studyCounts.get(r.studyInstanceUid) as { n: number; expected: number | null };
    return { studyInstanceUid: r.studyInstanceUid, instanceCount: counts.n, expectedInstances: counts.expected ?? undefined, completeDueAtMs: rule.dueAt(r.receivedAtMs) };
  };
}
