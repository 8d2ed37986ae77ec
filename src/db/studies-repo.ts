/** Study rows as the API and the result writers read them; completion is src/studies' (sqlite-study-store.ts). */
import type { Db } from './database.js';

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

/** A study row as both engines' list query returns it (modalities comma-separated). */
export interface StudyRow {
  study_instance_uid: string;
  accession_number: string;
  status: StudyState;
  first_received_at: string;
  completed_at: string | null;
  purged_at: string | null;
  modalities: string | null;
  n: number;
}

/** The read side of the study rows: the report flow, the result writers and the API. */
export interface StudiesReader {
  accessionOf(studyInstanceUid: string): Promise<string | undefined>;
  /** Studies a report links to: by Study Instance UID when given, else by accession number. */
  linkedTo(studyInstanceUid: string, accessionNumber: string): Promise<string[]>;
  /** The most recently received first. */
  list(options: { limit: number; offset: number }): Promise<StudySummary[]>;
}

export class StudiesRepo implements StudiesReader {
  private readonly accessionStmt;
  private readonly linkedStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.accessionStmt = db.prepare<[string], { a: string }>('SELECT accession_number AS a FROM studies WHERE study_instance_uid = ?');
    this.linkedStmt = db.prepare<[string, string, string], { u: string }>(
      `SELECT study_instance_uid AS u FROM studies WHERE study_instance_uid = ? OR (? <> '' AND accession_number = ?)`,
    );
    this.listStmt = db.prepare<[number, number], StudyRow>(
      `SELECT s.study_instance_uid, s.accession_number, s.status, s.first_received_at, s.completed_at, s.purged_at,
              (SELECT GROUP_CONCAT(DISTINCT i.modality) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS modalities,
              (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid) AS n
         FROM studies s ORDER BY s.last_received_at DESC LIMIT ? OFFSET ?`,
    );
  }

  async accessionOf(studyInstanceUid: string): Promise<string | undefined> {
    return this.accessionStmt.get(studyInstanceUid)?.a;
  }

  async linkedTo(studyInstanceUid: string, accessionNumber: string): Promise<string[]> {
    return this.linkedStmt.all(studyInstanceUid, accessionNumber, accessionNumber).map((r) => r.u);
  }

  async list(options: { limit: number; offset: number }): Promise<StudySummary[]> {
    return this.listStmt.all(options.limit, options.offset).map(toStudySummary);
  }
}

export function toStudySummary(r: StudyRow): StudySummary {
  return {
    studyInstanceUid: r.study_instance_uid,
    accessionNumber: r.accession_number,
    modalities: (r.modalities ?? '').split(',').filter((m) => m !== '').sort(),
    instanceCount: r.n,
    status: r.status,
    receivedAt: r.first_received_at,
    completedAt: r.completed_at,
    purgedAt: r.purged_at,
  };
}
