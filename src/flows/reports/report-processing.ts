/**
 * Report processing as a queued job (kind process-report, queued in the transaction that stored the message):
 * runs the report NLP (NER model + clinical rules) and stores its coded findings. A failure is retried with
 * back-off by the queue worker and dead-lettered after the last attempt, when the message is marked failed.
 */
import type { Hl7MessagesStore, Job } from '../../db/index.js';
import type { Logger } from '../../log.js';
import { GatewayError } from '../../errors.js';
import { analyzeReport, type NerModel } from '../../nlp/index.js';
import type { HandlerOutcome, Settlement } from '../../queue/index.js';
import type { IntakeGate } from '../../queue/index.js';

/**
 * The NER's inference is a synchronous native call (~10 ms a report): run back to back with intake it would hold
 * up every ACK, so reports wait for a pause in traffic (`IntakeGate`), but never more than this between two.
 */
const MAX_DEFER_MS = 1000;

export interface ReportProcessingDeps {
  messages: Hl7MessagesStore;
  ner: NerModel | null;
  log: Logger;
  /** Touched by HL7 intake: reports wait for a pause in it (bounded), so the NER never holds up an ACK. */
  gate: IntakeGate;
  /** A report's findings are stored: compare them with the AI (and tell the RIS) for the studies it links to. */
  onProcessed?: (report: { studyInstanceUid: string; accessionNumber: string }) => void;
  now?: () => number;
  /** nlp.maxReportChars and nlp.timeBudgetMs; absent: the analyser's defaults. */
  bounds?: { maxReportChars: number; timeBudgetMs: number };
}

export class ReportProcessing {
  private lastProcessedAt = 0;

  constructor(private readonly deps: ReportProcessingDeps) {}

  /** Awaited before each report (the worker's `beforeEach`). */
  yieldToIntake = (): Promise<void> => this.deps.gate.waitForQuiet(Math.max(0, MAX_DEFER_MS - (Date.now() - this.lastProcessedAt)));

  handle = async (job: Job): Promise<HandlerOutcome> => {
    const now = this.deps.now ?? Date.now;
    if (job.refId === null) return { kind: 'failed', reason: 'process-report job without a message id' };
    const report = await this.deps.messages.pendingReport(job.refId);
    // Already processed (a job taken over after its owner's commit) or not a report: nothing to do.
    if (report === undefined) return { kind: 'done' };
    this.lastProcessedAt = Date.now();
    const bounds = this.deps.bounds;
    let analysis;
    try {
      analysis = await analyzeReport(report.reportText, {
        ner: this.deps.ner,
        ...(bounds === undefined ? {} : { maxChars: bounds.maxReportChars, timeBudgetMs: bounds.timeBudgetMs }),
      });
    } catch (err) {
      // the stored text is the work: a retry (or a restart) would run over budget again, so fail it once, for good
      if (err instanceof GatewayError && err.code === 'GW_ERR_REPORT_OVER_BUDGET') return { kind: 'failed', reason: `${err.code}: ${err.message}` };
      throw err;
    }
    const { findings, truncated } = analysis;
    if (truncated !== undefined) this.deps.log.warn('report text over nlp.maxReportChars: only its start analysed', { messageId: report.id, ...truncated });
    await this.deps.messages.markProcessed(report.id, JSON.stringify(findings), now());
    this.deps.log.debug('report processed', { messageId: report.id, findings: findings.length });
    this.deps.onProcessed?.(report);
    return { kind: 'done' };
  };

  /** The worker's `onSettled`: a report whose processing gave up is marked failed, with the reason. */
  settled = (job: Job, outcome: HandlerOutcome, settlement: Settlement): void => {
    if (job.refId === null || outcome.kind === 'done' || (settlement.kind !== 'dead' && settlement.kind !== 'superseded')) return;
    this.deps.messages.markFailed(job.refId, outcome.reason, (this.deps.now ?? Date.now)()).catch((err: unknown) =>
      this.deps.log.error('report failure not recorded', { messageId: job.refId, err: err instanceof Error ? err.message : String(err) }),
    );
  };
}
