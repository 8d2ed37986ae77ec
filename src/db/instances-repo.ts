/**
 * Indexes stored instances and keeps their study rows current. Writes go to a worker thread that
 * group-commits them (see instance-writer-worker.ts); reads run here on a second connection (WAL).
 */
import { Worker } from 'node:worker_threads';
import type { Db } from './database.js';
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

export interface ExistingInstance {
  path: string;
  sizeBytes: number;
  studyInstanceUid: string;
}

type WriteResult = { ok: true; progress: StudyProgress } | { ok: false; error: string };

export class InstancesRepo {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (p: StudyProgress) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private readonly findStmt;
  private readonly studyStmt;
  private workerError: Error | undefined;

  constructor(db: Db, options: { path: string; studyQuietSeconds: number }) {
    this.findStmt = db.prepare<[string], { path: string; size_bytes: number; study_instance_uid: string }>(
      'SELECT path, size_bytes, study_instance_uid FROM instances WHERE sop_instance_uid = ?',
    );
    this.studyStmt = db.prepare<[string], { sop_instance_uid: string; series_instance_uid: string; sop_class_uid: string; transfer_syntax_uid: string; modality: string; body_part: string; series_number: number | null; instance_number: number | null; path: string; received_at: string }>(
      `SELECT sop_instance_uid, series_instance_uid, sop_class_uid, transfer_syntax_uid, modality, body_part, series_number,
              instance_number, path, received_at
         FROM instances WHERE study_instance_uid = ? ORDER BY series_number, series_instance_uid, instance_number, sop_instance_uid`,
    );
    this.worker = new Worker(new URL('./instance-writer-worker.js', import.meta.url), {
      workerData: { path: options.path, quietMs: Math.round(options.studyQuietSeconds * 1000) },
    });
    this.worker.on('message', (replies: Array<{ id: number; result: WriteResult }>) => {
      for (const { id, result } of replies) {
        const w = this.waiting.get(id);
        this.waiting.delete(id);
        if (result.ok) w?.resolve(result.progress);
        else w?.reject(new Error(result.error));
      }
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new Error(`instance writer exited with code ${code}`)));
  }

  find(sopInstanceUid: string): ExistingInstance | undefined {
    const row = this.findStmt.get(sopInstanceUid);
    return row === undefined ? undefined : { path: row.path, sizeBytes: row.size_bytes, studyInstanceUid: row.study_instance_uid };
  }

  /** The instances of a study, in series and instance order. */
  forStudy(studyInstanceUid: string): StoredInstance[] {
    return this.studyStmt.all(studyInstanceUid).map((r) => ({
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
    }));
  }

  /** Records an instance (insert, or replace a previous version); resolves once its transaction has committed. */
  record(record: InstanceRecord): Promise<StudyProgress> {
    if (this.workerError !== undefined) return Promise.reject(this.workerError);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, record });
    });
  }

  /** Lets pending commits finish, then stops the writer. */
  async close(): Promise<void> {
    while (this.waiting.size > 0 && this.workerError === undefined) await new Promise((r) => setTimeout(r, 5));
    this.worker.postMessage('close');
    await new Promise<void>((resolve) => {
      if (this.workerError !== undefined) resolve();
      else this.worker.once('exit', () => resolve());
    });
  }

  private failAll(err: Error): void {
    this.workerError ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
