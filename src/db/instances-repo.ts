/**
 * Indexes stored instances and keeps their study rows current. Writes go to the writer worker that
 * group-commits them (`db-writer.ts`); reads run here on a second connection (WAL).
 */
import type { Db } from './database.js';
import type { DbWriter } from './db-writer.js';
import type { InstanceRecord, StudyProgress } from './instance-types.js';

export type { InstanceRecord, StudyProgress } from './instance-types.js';

/** An indexed instance, as the analysis reads it. */
export interface StoredInstance {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  modality: string;
  bodyPart: string;
  seriesNumber: number | null;
  instanceNumber: number | null;
  path: string;
  receivedAt: string;
}

/** An instance row as both engines' study query returns it. */
export interface StoredInstanceRow {
  sop_instance_uid: string;
  series_instance_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  modality: string;
  body_part: string;
  series_number: number | null;
  instance_number: number | null;
  path: string;
  received_at: string;
}

export function toStoredInstance(r: StoredInstanceRow): StoredInstance {
  return {
    sopInstanceUid: r.sop_instance_uid,
    seriesInstanceUid: r.series_instance_uid,
    sopClassUid: r.sop_class_uid,
    transferSyntaxUid: r.transfer_syntax_uid,
    modality: r.modality,
    bodyPart: r.body_part,
    seriesNumber: r.series_number,
    instanceNumber: r.instance_number,
    path: r.path,
    receivedAt: r.received_at,
  };
}

export interface ExistingInstance {
  path: string;
  sizeBytes: number;
  studyInstanceUid: string;
}

/** The instance index, as the C-STORE handler, the analysis and the result writers use it. */
export interface InstancesStore {
  /** The indexed instance with this SOP Instance UID, if any (the duplicate and replacement check). */
  find(sopInstanceUid: string): Promise<ExistingInstance | undefined>;
  /** The instances of a study, in series and instance order. */
  forStudy(studyInstanceUid: string): Promise<StoredInstance[]>;
  record(record: InstanceRecord): Promise<StudyProgress>;
}

export class InstancesRepo implements InstancesStore {
  private readonly findStmt;
  private readonly studyStmt;

  constructor(
    db: Db,
    private readonly writer: DbWriter,
  ) {
    this.findStmt = db.prepare<[string], { path: string; size_bytes: number; study_instance_uid: string }>(
      'SELECT path, size_bytes, study_instance_uid FROM instances WHERE sop_instance_uid = ?',
    );
    this.studyStmt = db.prepare<[string], StoredInstanceRow>(
      `SELECT sop_instance_uid, series_instance_uid, sop_class_uid, transfer_syntax_uid, modality, body_part, series_number,
              instance_number, path, received_at
         FROM instances WHERE study_instance_uid = ? ORDER BY series_number, series_instance_uid, instance_number, sop_instance_uid`,
    );
  }

  async find(sopInstanceUid: string): Promise<ExistingInstance | undefined> {
    const row = this.findStmt.get(sopInstanceUid);
    return row === undefined ? undefined : { path: row.path, sizeBytes: row.size_bytes, studyInstanceUid: row.study_instance_uid };
  }

  async forStudy(studyInstanceUid: string): Promise<StoredInstance[]> {
    return this.studyStmt.all(studyInstanceUid).map(toStoredInstance);
  }

  record(record: InstanceRecord): Promise<StudyProgress> {
    return this.writer.recordInstance(record);
  }
}
