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
 *
 * One text for both engines, so they cannot drift. SQLite binds `@now` by name and compares ISO-8601 strings
 * (every time column holds `isoNow`'s one fixed format, so text order is time order). PostgreSQL runs it through
 * `compileNamed` (db/pg/named-sql.ts): `@now` becomes a positional `$n`, typed timestamptz by the comparison with
 * the timestamptz column, and the count is a bigint compared with an integer. Any change here must stay valid in
 * both dialects: the completion tests run on both (test/unit/db/intake-repos-contract.ts).
 */
export const IS_COMPLETE_SQL = `(s.complete_due_at <= @now
  OR s.expected_instances <= (SELECT COUNT(*) FROM instances i WHERE i.study_instance_uid = s.study_instance_uid))`;
