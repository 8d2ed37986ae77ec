/**
 * Decides when a study is complete: `studyQuietSeconds` after its last instance, or as soon as the count the
 * sender announced (Number of Study Related Instances) has arrived. The due time lives in the studies table,
 * so timers are re-armed after a restart. Completion queues an analyze-study job in the same transaction.
 */
import type { Logger } from '../log.js';
import type { Clock } from '../queue/index.js';

export interface StudyStore {
  receiving(): Array<{ studyInstanceUid: string; completeDueAtMs: number; instanceCount: number; expectedInstances: number | undefined }>;
  /** Completes the study if still receiving and due or at its expected count; true when it did. */
  complete(studyInstanceUid: string, nowMs: number, jobKind: string): boolean;
  /** When a study that is still receiving becomes due; undefined when it is not receiving. */
  dueAt(studyInstanceUid: string): number | undefined;
}

export interface StudyProgressEvent {
  studyInstanceUid: string;
  instanceCount: number;
  expectedInstances: number | undefined;
  completeDueAtMs: number;
}

export class StudyAssembler {
  private readonly timers = new Map<string, { cancel(): void }>();

  constructor(
    private readonly store: StudyStore,
    private readonly options: { jobKind: string; clock: Clock; log: Logger; onComplete?: (studyInstanceUid: string) => void },
  ) {}

  /** Re-arms a timer for every study that was receiving when the daemon stopped. */
  resume(): number {
    const studies = this.store.receiving();
    for (const s of studies) this.instanceRecorded(s);
    return studies.length;
  }

  instanceRecorded(progress: StudyProgressEvent): void {
    if (progress.expectedInstances !== undefined && progress.instanceCount >= progress.expectedInstances) {
      this.tryComplete(progress.studyInstanceUid);
      return;
    }
    this.timers.get(progress.studyInstanceUid)?.cancel();
    const delay = Math.max(0, progress.completeDueAtMs - this.options.clock.now());
    this.timers.set(
      progress.studyInstanceUid,
      this.options.clock.setTimeout(() => this.tryComplete(progress.studyInstanceUid), delay),
    );
  }

  /**
   * Completes every study that is due (or at its announced count) but still receiving: the safety net for a
   * completion whose timer was lost (an error while completing, a clock jump). Returns how many it completed.
   */
  sweep(): number {
    const now = this.options.clock.now();
    let completed = 0;
    for (const s of this.store.receiving()) {
      const due = s.completeDueAtMs <= now || (s.expectedInstances !== undefined && s.instanceCount >= s.expectedInstances);
      if (due && this.tryComplete(s.studyInstanceUid)) completed += 1;
    }
    return completed;
  }

  stop(): void {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
  }

  /** True when this call completed the study. */
  private tryComplete(studyInstanceUid: string): boolean {
    this.timers.get(studyInstanceUid)?.cancel();
    this.timers.delete(studyInstanceUid);
    try {
      const now = this.options.clock.now();
      if (this.store.complete(studyInstanceUid, now, this.options.jobKind)) {
        this.options.log.debug('study complete', { studyInstanceUid });
        this.options.onComplete?.(studyInstanceUid);
        return true;
      }
      // Not due yet: Node's timers run on the loop's cached clock and can fire a little before Date.now() reaches
      // the due time (more so when the loop is busy). Left alone, the study would stay 'receiving' for good.
      const due = this.store.dueAt(studyInstanceUid);
      if (due !== undefined && !this.timers.has(studyInstanceUid)) {
        this.timers.set(studyInstanceUid, this.options.clock.setTimeout(() => this.tryComplete(studyInstanceUid), Math.max(1, due - now)));
      }
    } catch (err) {
      // The row stays 'receiving' with its due time: the study sweep (housekeeping), a restart or a new instance retries.
      this.options.log.error('cannot mark study complete', { studyInstanceUid, err: (err as Error).message });
    }
    return false;
  }
}
