/** Analysis results per study and model; a re-analysis replaces the row, never adds a second. */
import type { Db } from './database.js';
import { isoNow } from './database.js';

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

interface Row {
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
}

export class ResultsRepo implements ResultsStore {
  private readonly saveStmt;
  private readonly forStudyStmt;
  private readonly ownResultStmt;
  private readonly saveReportSrStmt;

  constructor(db: Db) {
    this.saveStmt = db.prepare(
      `INSERT OR REPLACE INTO analysis_results (study_instance_uid, model_id, model_version, finding_code, finding_scheme,
         finding_meaning, probability, top_k_mean, flagged, threshold, driving_instances, instances_analyzed,
         instances_skipped, engine, provider, device, duration_ms, sr_sop_instance_uid, analyzed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.forStudyStmt = db.prepare<[string], Row>('SELECT * FROM analysis_results WHERE study_instance_uid = ? ORDER BY model_id');
    this.ownResultStmt = db.prepare<[string, string], { n: number }>(
      `SELECT (SELECT COUNT(*) FROM analysis_results WHERE sr_sop_instance_uid = ?)
            + (SELECT COUNT(*) FROM report_results WHERE sr_sop_instance_uid = ?) AS n`,
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
    return (this.ownResultStmt.get(sopInstanceUid, sopInstanceUid)?.n ?? 0) > 0;
  }

  async saveReportSr(studyInstanceUid: string, messageId: number, srSopInstanceUid: string, nowMs: number): Promise<void> {
    this.saveReportSrStmt.run(studyInstanceUid, messageId, srSopInstanceUid, isoNow(nowMs));
  }
}

function toResult(r: Row): AnalysisResult {
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
