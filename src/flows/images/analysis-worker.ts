/**
 * Runs the analyze-study jobs, one at a time, and makes stopping bounded: `stop()` claims nothing more and aborts
 * the analysis in hand, whose job goes back to the queue (a retry, not a failure) to run again after the restart.
 */
import { JobKind, type JobsRepo } from '../../db/index.js';
import type { Logger } from '../../log.js';
import { JobWorker } from '../../pipeline/index.js';
import { analyzeStudy, type AnalyzeStudyDeps } from './analyze-study.js';

/** Back-off of a failed analysis: a model that cannot load or a study that cannot be decoded is not retried in a loop. */
const ANALYSIS_RETRY = { baseMs: 10_000, maxMs: 10 * 60_000, maxAttempts: 5 };

export interface AnalysisWorkerDeps extends AnalyzeStudyDeps {
  jobs: JobsRepo;
  /** The analysis of a study ended well: its results changed. */
  onAnalysedStudy: (studyInstanceUid: string) => void;
}

export class AnalysisWorker {
  private readonly worker: JobWorker;
  private readonly abort = new AbortController();

  constructor(deps: AnalysisWorkerDeps) {
    this.worker = new JobWorker({
      kind: JobKind.AnalyzeStudy,
      jobs: deps.jobs,
      policy: ANALYSIS_RETRY,
      log: deps.log,
      now: deps.now,
      handle: async (job) => {
        const outcome = await analyzeStudy(job, deps, this.abort.signal);
        if (outcome.kind === 'done') deps.onAnalysedStudy(job.studyInstanceUid);
        return outcome;
      },
    });
  }

  /** Queues again the jobs a crash left running, then looks for due ones. */
  start(): void {
    this.worker.start();
  }

  /** A study was completed: look for its job now. */
  notify(): void {
    this.worker.notify();
  }

  /** Resolves once the job in hand has been handed back: within one inference batch, not one whole study. */
  async stop(): Promise<void> {
    // Stop claiming first, so the abort cannot reach (and burn an attempt of) a job claimed after it.
    const stopped = this.worker.stop();
    this.abort.abort();
    await stopped;
  }
}
