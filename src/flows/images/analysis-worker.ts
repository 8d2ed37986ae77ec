/**
 * Runs the analyze-study jobs on the queue, one at a time, and makes stopping bounded: `stop()` claims nothing
 * more and aborts the analysis in hand, whose job goes back to the queue (a retry, not a failure) to run again
 * after the restart.
 */
import { JobKind, type Job, type NewJob } from '../../db/index.js';
import type { Logger } from '../../log.js';
import { QueueWorker, type Clock, type Queue } from '../../queue/index.js';
import { analyzeStudy, type AnalyzeStudyDeps } from './analyze-study.js';

/** Back-off of a failed analysis: a model that cannot load or a study that cannot be decoded is not retried in a loop. */
const ANALYSIS_RETRY = { baseMs: 10_000, maxMs: 10 * 60_000, maxAttempts: 5 };

export interface AnalysisWorkerDeps extends AnalyzeStudyDeps {
  jobs: Queue<Job, NewJob>;
  /** Who holds the leases: stable across restarts of this node. */
  owner: string;
  /** cluster.leaseSeconds: the worker extends it every half while the analysis runs. */
  leaseMs: number;
  clock: Clock;
  /** The analysis of a study ended well: its results changed. */
  onAnalysedStudy: (studyInstanceUid: string) => void;
}

export class AnalysisWorker {
  private readonly worker: QueueWorker<Job>;
  private readonly abort = new AbortController();

  constructor(deps: AnalysisWorkerDeps) {
    this.worker = new QueueWorker<Job>({
      queue: deps.jobs,
      partition: JobKind.AnalyzeStudy,
      owner: deps.owner,
      // One study at a time: the handler itself batches and uses the other threads.
      concurrency: 1,
      leaseMs: deps.leaseMs,
      policy: ANALYSIS_RETRY,
      clock: deps.clock,
      log: deps.log,
      handle: async (job) => {
        const outcome = await analyzeStudy(job, deps, this.abort.signal);
        if (outcome.kind === 'done') deps.onAnalysedStudy(job.studyInstanceUid);
        return outcome;
      },
    });
  }

  /** Takes back the jobs this node left running at its last stop, then looks for due ones. */
  start(): Promise<void> {
    return this.worker.start();
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
