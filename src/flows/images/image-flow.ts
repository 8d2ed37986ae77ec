/**
 * The images flow: a C-STORE becomes a spool file and an index row (store-instance), a quiet or full study an
 * analyze-study job (studies), the job a result SR queued for the PACS (analyze-study). It tells the composition
 * root what happened through `ImageFlowEvents`; it knows no other flow.
 */
import type { DicomDestination } from '../../config/index.js';
import type { InstancesStore, Job, NewJob, ResultsStore } from '../../db/index.js';
import type { Logger } from '../../log.js';
import type { IntakeGate, Queue } from '../../queue/index.js';
import type { Spool } from '../../storage/index.js';
import type { Clock } from '../../queue/index.js';
import { CompletionRule, StudyAssembler, type StudyStore } from '../../studies/index.js';
import type { AnalyzeStudyDeps } from './analyze-study.js';
import { AnalysisWorker } from './analysis-worker.js';
import { InstanceStoreHandler } from './store-instance.js';
import { isDerivedResultObject } from './result-objects.js';

export interface ImageFlowEvents {
  /** A study was analysed: its results changed. */
  resultsChanged: (studyInstanceUid: string) => void;
  /** Result SRs were queued for these destinations. */
  outboxQueued: (destinations: string[]) => void;
  /** A model analysed a study in this long (for the latency histogram). */
  analysed: (modelId: string, durationMs: number) => void;
}

export interface ImageFlowDeps {
  instances: InstancesStore;
  results: Pick<ResultsStore, 'save' | 'isOwnResult' | 'revisionsForStudy' | 'currentRevision' | 'hasRevisionUid' | 'commitRevision'>;
  /** Study completion's rows: completing a study queues its analysis job. */
  studyStore: StudyStore;
  jobs: Queue<Job, NewJob>;
  /** `dicom.studyQuietSeconds`: how long a study must be quiet to be complete. */
  studyQuietSeconds: number;
  /** Who holds the leases: stable across restarts of this node. */
  owner: string;
  /** cluster.leaseSeconds, in ms: how long a dead node keeps an analysis before another node takes it. */
  leaseMs: number;
  clock: Clock;
  spool: Spool;
  models: AnalyzeStudyDeps['models'];
  preparer: AnalyzeStudyDeps['preparer'];
  /** Touched by every intake; the analysis gives way to it. */
  intake: IntakeGate;
  destinations: ReadonlyArray<DicomDestination>;
  /** Model ids whose SR carries the "not for clinical use" disclaimer. */
  demoModels: ReadonlySet<string>;
  log: Logger;
  events: ImageFlowEvents;
}

export class ImageFlow {
  /** What the SCP hands each C-STORE to. */
  readonly storeHandler: InstanceStoreHandler;
  private readonly assembler: StudyAssembler;
  private readonly analysis: AnalysisWorker;

  constructor(deps: ImageFlowDeps) {
    const { log, events } = deps;
    this.analysis = new AnalysisWorker({
      ...deps,
      log: log.child({ component: 'analysis' }),
      onQueued: events.outboxQueued,
      onAnalysed: events.analysed,
      onAnalysedStudy: events.resultsChanged,
    });
    this.assembler = new StudyAssembler(deps.studyStore, {
      rule: new CompletionRule(Math.round(deps.studyQuietSeconds * 1000)),
      clock: deps.clock,
      log: log.child({ component: 'studies' }),
      onComplete: () => this.analysis.notify(),
    });
    this.storeHandler = new InstanceStoreHandler({
      spool: deps.spool,
      instances: deps.instances,
      log: log.child({ component: 'dicom.scp' }),
      onRecorded: (progress) => {
        deps.intake.touch();
        this.assembler.instanceRecorded(progress);
      },
      isOwnResult: async (uid, study) => (await deps.results.isOwnResult(uid)) || isDerivedResultObject((await deps.results.revisionsForStudy(study)).map((r) => r.sopInstanceUid), uid),
    });
  }

  /**
   * Resumes queued analyses (a node with the analysis role) and the completion timers of the studies that were
   * receiving at the last stop (a node with the intake role); returns how many studies.
   */
  async start(roles: { analysis: boolean; intake: boolean } = { analysis: true, intake: true }): Promise<number> {
    if (roles.analysis) await this.analysis.start();
    return roles.intake ? this.assembler.resume() : 0;
  }

  /** Completes the studies whose quiet period is over (housekeeping's study-sweep); returns how many. */
  async sweepStudies(): Promise<number> {
    return this.assembler.sweep();
  }

  /** Call once the SCP is closed. Bounded: the analysis in hand is aborted and its job queued again. */
  async stop(): Promise<void> {
    await this.assembler.stop();
    await this.analysis.stop();
  }
}
