/**
 * Analysis results per study and model (a re-analysis replaces the row, never adds a second), and the revisions of
 * the result SRs: every SR written for a result, the current one last (issue 12).
 */
import Database from 'better-sqlite3';
import { GatewayError } from '../errors.js';
import type { Db } from './database.js';
import { isoNow } from './database.js';
import type { NewOutboxItem, SqliteOutboxQueue } from './outbox-queue.js';

export interface AnalysisResult {
  studyInstanceUid: string;
  modelId: string;
  modelVersion: string;
  finding: { code: string; scheme: string; meaning: string };
  /** Study-level probability: the maximum over the analysed images. */
  probability: number;
  topKMean: number;
  flagged: boolean;
  threshold: number;
  drivingInstances: string[];
  instancesAnalyzed: number;
  instancesSkipped: number;
  engine: string;
  provider: string;
  device: string;
  durationMs: number;
  srSopInstanceUid: string | null;
  analyzedAt: string;
}

/** An analysis_results row, as both engines return it. */
export interface ResultRow {
  study_instance_uid: string;
  model_id: string;
  model_version: string;
  finding_code: string;
  finding_scheme: string;
  finding_meaning: string;
  probability: number;
  top_k_mean: number;
  flagged: number;
  threshold: number;
  driving_instances: string;
  instances_analyzed: number;
  instances_skipped: number;
  engine: string;
  provider: string;
  device: string;
  duration_ms: number;
  sr_sop_instance_uid: string | null;
  analyzed_at: string;
}

/** Why a result got a new revision. */
export const REVISION_REASONS = ['initial', 're-analysis', 'report-corrected'] as const;
export type RevisionReason = (typeof REVISION_REASONS)[number];

/** One SR written for a result. A result is (study, key): `image-ai:<model id>`, or `report-findings`. */
export interface ResultRevision {
  studyInstanceUid: string;
  resultKey: string;
  /** The SR's kind ('image-ai', 'report-findings'). */
  kind: string;
  /** The image model or the report analyser; empty for a report SR recorded before revisions were. */
  modelId: string;
  modelVersion: string;
  /** 1, 2, …: the SR's Instance Number. */
  revision: number;
  sopInstanceUid: string;
  /** Null for an SR recorded before revisions were (read its series from its file). */
  seriesInstanceUid: string | null;
  /** Null for an SR recorded before revisions were: its content is unknown, so any result differs from it. */
  contentDigest: string | null;
  predecessorUid: string | null;
  reason: RevisionReason;
  /** The hl7_messages row a report-findings SR was coded from. */
  sourceMessageId: number | null;
  createdAt: string;
}

export type NewResultRevision = Omit<ResultRevision, 'createdAt'>;

/** The key of a study's report-findings result (one per study, whichever analyser wrote it). */
export const REPORT_RESULT_KEY = 'report-findings';

/** The key of an image model's result. */
export function imageResultKey(modelId: string): string {
  return `image-ai:${modelId}`;
}

/** A result_revisions row, as both engines return it. */
export interface RevisionRow {
  study_instance_uid: string;
  result_key: string;
  kind: string;
  model_id: string;
  model_version: string;
  revision: number;
  sop_instance_uid: string;
  series_instance_uid: string | null;
  content_digest: string | null;
  predecessor_uid: string | null;
  reason: RevisionReason;
  source_message_id: number | null;
  created_at: string;
}

/**
 * `commitRevision` found the revision number (or the SR's SOP Instance UID) already recorded: another writer (a
 * second job on this node, another node of a cluster) committed that revision first, and nothing of this one was
 * committed. The same error on both engines; the caller's job fails and is retried, and the retry finds the
 * winner's revision current (an unchanged result then sends nothing).
 */
export class RevisionTakenError extends GatewayError {
  constructor(r: Pick<NewResultRevision, 'resultKey' | 'revision' | 'sopInstanceUid'>, engine: 'sqlite' | 'postgresql', cause: unknown) {
    super('GW_ERR_DATABASE_FAILED', `revision ${r.revision} of result ${r.resultKey} (SR ${r.sopInstanceUid}) is already recorded: another writer committed it first`, {
      context: { engine, operation: 'commit revision', table: 'result_revisions', resultKey: r.resultKey, revision: r.revision },
      cause,
    });
    this.name = 'RevisionTakenError';
  }
}

/** Analysis results and the result SRs this gateway wrote, as the analysis, the result writers and the API use them. */
export interface ResultsStore {
  /** Saves a model's result for a study, replacing an earlier one of the same model. */
  save(result: Omit<AnalysisResult, 'analyzedAt'>, nowMs: number): Promise<void>;
  /** By model id. */
  forStudy(studyInstanceUid: string): Promise<AnalysisResult[]>;
  /** An SR this gateway wrote (image-AI result or report findings): routed back by the PACS, it re-opens nothing. */
  isOwnResult(sopInstanceUid: string): Promise<boolean>;
  /** Records the report-findings SR written for a study (replacing the one of an older report). */
  saveReportSr(studyInstanceUid: string, messageId: number, srSopInstanceUid: string, nowMs: number): Promise<void>;
  /** The newest revision of a result; undefined when no SR was written for it yet. */
  currentRevision(studyInstanceUid: string, resultKey: string): Promise<ResultRevision | undefined>;
  /** Whether an SR with this SOP Instance UID was ever written (any result, any revision). */
  hasRevisionUid(sopInstanceUid: string): Promise<boolean>;
  /** Every revision of every result of a study, oldest first. */
  revisionsForStudy(studyInstanceUid: string): Promise<ResultRevision[]>;
  /**
   * Records a new revision and queues its deliveries in one transaction: both or neither, so a crash never leaves a
   * recorded revision unsent (a retry would see it as current and send nothing). Throws a RevisionTakenError if the
   * revision number is taken (another writer got there first); returns the destinations whose row was new.
   */
  commitRevision(revision: NewResultRevision, deliveries: readonly NewOutboxItem[], nowMs: number): Promise<string[]>;
}

export class ResultsRepo implements ResultsStore {
  private readonly saveStmt;
  private readonly forStudyStmt;
  private readonly ownResultStmt;
  private readonly saveReportSrStmt;
  private readonly currentStmt;
  private readonly hasUidStmt;
  private readonly revisionsStmt;
  private readonly insertRevisionStmt;

  constructor(
    private readonly db: Db,
    private readonly outbox: Pick<SqliteOutboxQueue, 'enqueueIn'>,
  ) {
    this.saveStmt = db.prepare(
      `INSERT OR REPLACE INTO analysis_results (study_instance_uid, model_id, model_version, finding_code, finding_scheme,
         finding_meaning, probability, top_k_mean, flagged, threshold, driving_instances, instances_analyzed,
         instances_skipped, engine, provider, device, duration_ms, sr_sop_instance_uid, analyzed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.forStudyStmt = db.prepare<[string], ResultRow>('SELECT * FROM analysis_results WHERE study_instance_uid = ? ORDER BY model_id');
    // Every revision counts: a PACS routing the study back sends the replaced SRs too.
    this.ownResultStmt = db.prepare<[string, string, string], { n: number }>(
      `SELECT (SELECT COUNT(*) FROM result_revisions WHERE sop_instance_uid = ?)
            + (SELECT COUNT(*) FROM analysis_results WHERE sr_sop_instance_uid = ?)
            + (SELECT COUNT(*) FROM report_results WHERE sr_sop_instance_uid = ?) AS n`,
    );
    this.currentStmt = db.prepare<[string, string], RevisionRow>(
      'SELECT * FROM result_revisions WHERE study_instance_uid = ? AND result_key = ? ORDER BY revision DESC LIMIT 1',
    );
    this.hasUidStmt = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM result_revisions WHERE sop_instance_uid = ?');
    this.revisionsStmt = db.prepare<[string], RevisionRow>('SELECT * FROM result_revisions WHERE study_instance_uid = ? ORDER BY result_key, revision');
    this.insertRevisionStmt = db.prepare(
      `INSERT INTO result_revisions (study_instance_uid, result_key, kind, model_id, model_version, revision, sop_instance_uid,
         series_instance_uid, content_digest, predecessor_uid, reason, source_message_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.saveReportSrStmt = db.prepare('INSERT OR REPLACE INTO report_results (study_instance_uid, message_id, sr_sop_instance_uid, written_at) VALUES (?, ?, ?, ?)');
  }

  async save(r: Omit<AnalysisResult, 'analyzedAt'>, nowMs: number): Promise<void> {
    this.saveStmt.run(
        r.studyInstanceUid, r.modelId, r.modelVersion, r.finding.code, r.finding.scheme, r.finding.meaning, r.probability,
        r.topKMean, r.flagged ? 1 : 0, r.threshold, JSON.stringify(r.drivingInstances), r.instancesAnalyzed,
        r.instancesSkipped, r.engine, r.provider, r.device, Math.round(r.durationMs), r.srSopInstanceUid, isoNow(nowMs),
      );
  }

  async forStudy(studyInstanceUid: string): Promise<AnalysisResult[]> {
    return this.forStudyStmt.all(studyInstanceUid).map(toResult);
  }

  async isOwnResult(sopInstanceUid: string): Promise<boolean> {
    return (this.ownResultStmt.get(sopInstanceUid, sopInstanceUid, sopInstanceUid)?.n ?? 0) > 0;
  }

  async currentRevision(studyInstanceUid: string, resultKey: string): Promise<ResultRevision | undefined> {
    const row = this.currentStmt.get(studyInstanceUid, resultKey);
    return row === undefined ? undefined : toRevision(row);
  }

  async hasRevisionUid(sopInstanceUid: string): Promise<boolean> {
    return (this.hasUidStmt.get(sopInstanceUid)?.n ?? 0) > 0;
  }

  async revisionsForStudy(studyInstanceUid: string): Promise<ResultRevision[]> {
    return this.revisionsStmt.all(studyInstanceUid).map(toRevision);
  }

  async commitRevision(r: NewResultRevision, deliveries: readonly NewOutboxItem[], nowMs: number): Promise<string[]> {
    const now = isoNow(nowMs);
    return this.db.transaction(() => {
      try {
        this.insertRevisionStmt.run(
          r.studyInstanceUid, r.resultKey, r.kind, r.modelId, r.modelVersion, r.revision, r.sopInstanceUid, r.seriesInstanceUid,
          r.contentDigest, r.predecessorUid, r.reason, r.sourceMessageId, now,
        );
      } catch (err) {
        if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_UNIQUE') throw new RevisionTakenError(r, 'sqlite', err);
        throw err;
      }
      return deliveries.filter((d) => this.outbox.enqueueIn({ db: this.db }, d, nowMs).created).map((d) => d.destination);
    })();
  }

  async saveReportSr(studyInstanceUid: string, messageId: number, srSopInstanceUid: string, nowMs: number): Promise<void> {
    this.saveReportSrStmt.run(studyInstanceUid, messageId, srSopInstanceUid, isoNow(nowMs));
  }
}

export function toResult(r: ResultRow): AnalysisResult {
  return {
    studyInstanceUid: r.study_instance_uid,
    modelId: r.model_id,
    modelVersion: r.model_version,
    finding: { code: r.finding_code, scheme: r.finding_scheme, meaning: r.finding_meaning },
    probability: r.probability,
    topKMean: r.top_k_mean,
    flagged: r.flagged === 1,
    threshold: r.threshold,
    drivingInstances: JSON.parse(r.driving_instances) as string[],
    instancesAnalyzed: r.instances_analyzed,
    instancesSkipped: r.instances_skipped,
    engine: r.engine,
    provider: r.provider,
    device: r.device,
    durationMs: r.duration_ms,
    srSopInstanceUid: r.sr_sop_instance_uid,
    analyzedAt: r.analyzed_at,
  };
}

export function toRevision(r: RevisionRow): ResultRevision {
  return {
    studyInstanceUid: r.study_instance_uid,
    resultKey: r.result_key,
    kind: r.kind,
    modelId: r.model_id,
    modelVersion: r.model_version,
    revision: r.revision,
    sopInstanceUid: r.sop_instance_uid,
    seriesInstanceUid: r.series_instance_uid,
    contentDigest: r.content_digest,
    predecessorUid: r.predecessor_uid,
    reason: r.reason,
    sourceMessageId: r.source_message_id,
    createdAt: r.created_at,
  };
}
