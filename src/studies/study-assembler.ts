/**
 * Decides when a study is complete (`CompletionRule`) and runs its timers: one per receiving study, re-armed
 * after a restart from the due times in the store, plus a sweep as the safety net. Completion marks the study
 * complete and queues its analysis in one transaction (the store's `completeIfDue`).
 */
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../queue/index.js';
import type { CompletionRule, StudyProgress } from './completion-rule.js';

/** Where study rows live; each engine has one (SQLite: sqlite-study-store.ts). */
export interface StudyStore {
  receiving(): Promise<StudyProgress[]>;
  /** Completes the study if still receiving and due or at its expected count, queueing its job; true when it did. */
  completeIfDue(studyInstanceUid: string, nowMs: number): Promise<boolean>;
  /** When a study that is still receiving becomes due; undefined when it is not receiving. */
  dueAt(studyInstanceUid: string): Promise<number | undefined>;
}

export class StudyAssembler {
  private readonly timers = new Map<string, { cancel(): void }>();
  private readonly inFlight = new Set<Promise<boolean>>();

  constructor(
    private readonly store: StudyStore,
    private readonly options: { rule: CompletionRule; clock: Clock; log: Logger; onComplete?: (studyInstanceUid: string) => void },
  ) {}

  /** Re-arms a timer for every study that was receiving when the daemon stopped. */
  async resume(): Promise<number> {
    const studies = await this.store.receiving();
    for (const s of studies) this.instanceRecorded(s);
    return studies.length;
  }

  instanceRecorded(progress: StudyProgress): void {
    if (this.options.rule.hasAllInstances(progress)) {
      void this.tryComplete(progress.studyInstanceUid);
      return;
    }
    this.arm(progress.studyInstanceUid, progress.completeDueAtMs - this.options.clock.now());
  }

  /**
   * Completes every study that is due (or at its announced count) but still receiving: the safety net for a
   * completion whose timer was lost (an error while completing, a clock jump). Returns how many it completed.
   */
  async sweep(): Promise<number> {
    const now = this.options.clock.now();
    let completed = 0;
    for (const s of await this.store.receiving()) {
      if (this.options.rule.isComplete(s, now) && (await this.tryComplete(s.studyInstanceUid))) completed += 1;
    }
    return completed;
  }

  /** Cancels the timers; resolves once completions in progress have finished. */
  async stop(): Promise<void> {
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await this.idle();
  }

  /** Resolves when no completion is in progress. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private arm(studyInstanceUid: string, delayMs: number): void {
    this.timers.get(studyInstanceUid)?.cancel();
    this.timers.set(studyInstanceUid, this.options.clock.setTimeout(() => void this.tryComplete(studyInstanceUid), Math.max(0, delayMs)));
  }

  /** True when this call completed the study. */
  private tryComplete(studyInstanceUid: string): Promise<boolean> {
    this.timers.get(studyInstanceUid)?.cancel();
    this.timers.delete(studyInstanceUid);
    const p = this.complete(studyInstanceUid).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  private async complete(studyInstanceUid: string): Promise<boolean> {
    try {
      const now = this.options.clock.now();
      if (await this.store.completeIfDue(studyInstanceUid, now)) {
        this.options.log.debug('study complete', { studyInstanceUid });
        this.options.onComplete?.(studyInstanceUid);
        return true;
      }
      // Not due yet: Node's timers run on the loop's cached clock and can fire a little before Date.now() reaches
      // the due time (more so when the loop is busy). Left alone, the study would stay 'receiving' for good.
      const due = await this.store.dueAt(studyInstanceUid);
      if (due !== undefined && !this.timers.has(studyInstanceUid)) this.arm(studyInstanceUid, Math.max(1, due - now));
    } catch (err) {
      // The row stays 'receiving' with its due time: the study sweep (housekeeping), a restart or a new instance retries.
      this.options.log.error('cannot mark study complete', { studyInstanceUid, err: describeError(err) });
    }
    return false;
  }
}
