/**
 * When a study is complete: `quietMs` after its last instance, or as soon as the count the sender announced
 * (Number of Study Related Instances, 0020,1208) has arrived. The rule in TypeScript (for timers) and in SQL (for
 * the state change) sit here together, so the two cannot drift apart.
 */

/** Where a receiving study stands: enough to decide whether it is complete. */
export interface StudyProgress {
  studyInstanceUid: string;
  instanceCount: number;
  expectedInstances: number | undefined;
  completeDueAtMs: number;
}

export class CompletionRule {
  constructor(readonly quietMs: number) {}

  /** The due time set by an instance received at `receivedAtMs` (each instance pushes it back). */
  dueAt(receivedAtMs: number): number {
    return receivedAtMs + this.quietMs;
  }

  /** Whether the announced count has arrived: complete now, without waiting for the quiet period. */
  hasAllInstances(p: Pick<StudyProgress, 'instanceCount' | 'expectedInstances'>): boolean {
    return p.expectedInstances !== undefined && p.instanceCount >= p.expectedInstances;
  }

  isComplete(p: StudyProgress, nowMs: number): boolean {
    return p.completeDueAtMs <= nowMs || this.hasAllInstances(p);
  }
}

/**
 * The same test as `CompletionRule.isComplete`, on a `studies` row named `s`, with `@now` the ISO time. Used by
 * the state change itself, so a study completes only if it is still due when the transaction runs.
 */
export const IS_COMPLETE_SQL = `(s.complete_due_at <= @now
  OR s.expected_instances <= (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid))`;
