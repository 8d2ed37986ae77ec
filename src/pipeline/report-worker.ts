/**
 * Processes stored reports: runs the report NLP (NER model + clinical rules) on each report received over HL7
 * and stores its coded findings. Rows are the queue: a report stored before a crash is processed after restart.
 */
import type { Hl7MessagesRepo } from '../db/index.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { analyzeReport, type NerModel } from '../nlp/index.js';
import type { IntakeGate } from './intake-gate.js';
import { WakeLoop } from './wake-loop.js';

const BATCH = 16;
/**
 * The NER's inference is a synchronous native call (~10 ms a report): run back to back with intake it would hold
 * up every ACK, so reports wait for a pause in traffic (`IntakeGate`), but never more than this between two.
 */
const MAX_DEFER_MS = 1000;

export class ReportWorker {
  private readonly loop: WakeLoop;
  private lastProcessedAt = 0;

  constructor(
    private readonly deps: {
      messages: Hl7MessagesRepo;
      ner: NerModel | null;
      log: Logger;
      /** Touched by HL7 intake: reports wait for a pause in it (bounded), so the NER never holds up an ACK. */
      gate: IntakeGate;
      /** A report's findings are stored: compare them with the AI (and tell the RIS) for the studies it links to. */
      onProcessed?: (report: { studyInstanceUid: string; accessionNumber: string }) => void;
      now?: () => number;
    },
  ) {
    const now = deps.now ?? Date.now;
    // Pending reports are all due at once: no timed retries (a failure is recorded on the row).
    this.loop = new WakeLoop(() => this.drain(now), () => undefined, now);
  }

  notify(): void {
    this.loop.notify();
  }

  private yieldToIntake(): Promise<void> {
    return this.deps.gate.waitForQuiet(Math.max(0, MAX_DEFER_MS - (Date.now() - this.lastProcessedAt)));
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async drain(now: () => number): Promise<void> {
    for (;;) {
      if (this.loop.isStopped) return;
      const reports = this.deps.messages.pendingReports(BATCH);
      if (reports.length === 0) return;
      for (const r of reports) {
        await this.yieldToIntake();
        if (this.loop.isStopped) return;
        this.lastProcessedAt = Date.now();
        try {
          const { findings } = await analyzeReport(r.reportText, { ner: this.deps.ner });
          this.deps.messages.markProcessed(r.id, JSON.stringify(findings), now());
          this.deps.log.debug('report processed', { messageId: r.id, findings: findings.length });
          this.deps.onProcessed?.(r);
        } catch (err) {
          this.deps.messages.markFailed(r.id, describeError(err), now());
          this.deps.log.error('report could not be processed', { messageId: r.id, err: describeError(err) });
        }
      }
    }
  }
}
