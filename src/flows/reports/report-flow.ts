/**
 * The reports flow: an HL7 report becomes a committed row and an ACK (report-intake), then coded findings (the
 * report NLP, paced by HL7 intake). It tells the composition root which studies' results changed; it knows no
 * other flow.
 */
import { JobKind, type Hl7MessagesStore, type Job, type NewJob, type StudiesReader } from '../../db/index.js';
import { describeError } from '../../errors.js';
import type { Hl7AckDecision, ReceivedHl7Message } from '../../hl7/index.js';
import type { Logger } from '../../log.js';
import { loadNerModel, REPORT_NLP_VERSION, type NerModel } from '../../nlp/index.js';
import { IntakeGate } from '../../queue/index.js';
import { QueueWorker, type Clock, type Queue } from '../../queue/index.js';
import { ReportProcessing } from './report-processing.js';
import { reportIntakeHandler, type StoredMessage } from './report-intake.js';

/** HL7 intake must be this quiet before the report NLP takes a step. */
const HL7_QUIET_MS = 50;
/** A report's NLP takes milliseconds; the lease only matters when a node dies holding it. */
/** Report NLP failures (a model error, a bad text): retried a few times, then a dead letter the operator can see. */
const REPORT_RETRY = { baseMs: 5_000, maxMs: 5 * 60_000, maxAttempts: 5 };

export interface ReportFlowEvents {
  /** A processed report links to this study: its results (concordance, report SR) changed. */
  resultsChanged: (studyInstanceUid: string) => void;
  /** A message was stored and is about to be ACKed AA (the audit trail's Import record). */
  messageStored?: (stored: StoredMessage) => void;
}

export interface ReportFlowDeps {
  messages: Hl7MessagesStore;
  studies: Pick<StudiesReader, 'linkedTo'>;
  /** Where process-report jobs wait (queued with each stored report). */
  jobs: Queue<Job, NewJob>;
  /** Who holds the leases: stable across restarts of this node. */
  owner: string;
  /** cluster.leaseSeconds, in ms. */
  leaseMs: number;
  clock: Clock;
  /** The analysis's gate: HL7 intake touches it too, so the analysis gives way to it. */
  intake: IntakeGate;
  /** From `loadReportNer`; the flow disposes of it on stop. */
  ner: NerModel | null;
  log: Logger;
  events: ReportFlowEvents;
  /** nlp.maxReportChars and nlp.timeBudgetMs; absent: the analyser's defaults. */
  nlp?: { maxReportChars: number; timeBudgetMs: number };
}

/** The report analyser, as a report SR's device observer and algorithm. */
export interface ReportAnalyzerIdentity {
  id: string;
  version: string;
  /** Whether its SRs carry the "not for clinical use" disclaimer. */
  demo: boolean;
}

/** The NER model plus rules, or the rules alone when it did not load (or HL7 is off). */
export function reportAnalyzerIdentity(ner: NerModel | null): ReportAnalyzerIdentity {
  // The NER model is trained on synthetic sentences only: its SRs carry the demo disclaimer.
  return ner === null ? { id: 'report-rules', version: REPORT_NLP_VERSION, demo: false } : { id: 'report-ner', version: REPORT_NLP_VERSION, demo: true };
}

/** Loads the report NER model; null when it cannot load: reports are still stored, ACKed and analysed by the rules. */
export function loadReportNer(log: Logger): Promise<NerModel | null> {
  return loadNerModel().catch((err: unknown) => {
    log.error('report NER model not loaded: rules only', { err: describeError(err) });
    return null;
  });
}

export class ReportFlow {
  /** What the MLLP server hands each message to. */
  readonly handler: (message: ReceivedHl7Message) => Promise<Hl7AckDecision>;
  private readonly worker: QueueWorker<Job>;
  private readonly ner: NerModel | null;

  constructor(deps: ReportFlowDeps) {
    const { ner } = deps;
    this.ner = ner;
    // The NLP gives way only to HL7 intake, whose ACKs it would delay: under a day of DICOM traffic it keeps its pace.
    const hl7Intake = new IntakeGate(HL7_QUIET_MS);
    const log = deps.log.child({ component: 'nlp' });
    const processing = new ReportProcessing({
      messages: deps.messages,
      ner,
      gate: hl7Intake,
      log,
      ...(deps.nlp === undefined ? {} : { bounds: deps.nlp }),
      onProcessed: (r) =>
        void deps.studies.linkedTo(r.studyInstanceUid, r.accessionNumber).then(
          (uids) => uids.forEach((uid) => deps.events.resultsChanged(uid)),
          (err: unknown) => log.error('studies of a processed report not found: their results stay as they were', { err: describeError(err) }),
        ),
    });
    this.worker = new QueueWorker<Job>({
      queue: deps.jobs,
      partition: JobKind.ProcessReport,
      owner: deps.owner,
      concurrency: 1,
      leaseMs: deps.leaseMs,
      policy: REPORT_RETRY,
      handle: processing.handle,
      beforeEach: processing.yieldToIntake,
      onSettled: processing.settled,
      clock: deps.clock,
      log,
    });
    this.handler = reportIntakeHandler({
      messages: deps.messages,
      log: deps.log.child({ component: 'hl7' }),
      onStored: (stored) => {
        deps.events.messageStored?.(stored);
        deps.intake.touch();
        hl7Intake.touch();
        this.worker.notify();
      },
    });
  }

  /** Processes the reports stored before the last stop (and those this node was processing then). */
  start(): Promise<void> {
    return this.worker.start();
  }

  /** Call once the MLLP server is closed. */
  async stop(): Promise<void> {
    await this.worker.stop();
    await this.ner?.dispose();
  }
}
