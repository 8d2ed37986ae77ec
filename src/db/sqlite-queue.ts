/**
 * The SQLite adapter of the Queue seam (src/queue), shared by the jobs and outbox tables: each table keeps its
 * own state names (what the status page and retention read), and gains a lease (lease_owner, lease_expires_at)
 * so the claim SQL is the one a multi-node engine needs. Statements are prepared once; better-sqlite3 runs them
 * synchronously, so each method has settled its rows before its promise is returned.
 */
import type { ClaimRequest, Enqueued, FailResult, Failure, Queue, QueueItem, TransactionalEnqueue } from '../queue/index.js';
import type { Db } from './database.js';
import { commitWithoutSync, isoNow } from './database.js';

/** A better-sqlite3 transaction in progress on `db` (inside `db.transaction(fn)`): synchronous, one connection. */
export interface SqliteTx {
  readonly db: Db;
}

/** Runs `work` in one transaction on `db`; everything enqueued through `tx` commits or rolls back with it. */
export function sqliteTransaction<T>(db: Db, work: (tx: SqliteTx) => T): T {
  return db.transaction(() => work({ db }))();
}

/**
 * How one table holds a queue. Names are constants of this module's callers, never input. The fragments are SQL
 * both engines run (SQLite and PostgreSQL, src/db/pg): `@name` parameters, COALESCE rather than IFNULL.
 */
export interface QueueTable<TRow, TItem extends QueueItem> {
  table: string;
  partitionColumn: string;
  states: { ready: string; claimed: string; done: string; dead: string };
  /** Extra assignments when claimed (may use @now). */
  claimSet?: string;
  /** Extra assignments when done (may use @now and @note). */
  completeSet: string;
  /**
   * A predicate on the table's row: true when a newer waiting row does the same work, so retrying or releasing
   * this one is pointless (and would break a "one waiting row" unique index); such a row is given up instead.
   */
  superseded?: string;
  toItem(row: TRow): TItem;
}

export abstract class SqliteQueue<TRow, TItem extends QueueItem, TNew> implements Queue<TItem, TNew>, TransactionalEnqueue<TNew, SqliteTx, Enqueued> {
  private readonly s;

  constructor(
    protected readonly db: Db,
    private readonly t: QueueTable<TRow, TItem>,
  ) {
    const { table, partitionColumn: part } = t;
    const st = t.states;
    const notSuperseded = t.superseded === undefined ? '1' : `NOT (${t.superseded})`;
    const claimable = `((state = '${st.ready}' AND next_attempt_at <= @now) OR (state = '${st.claimed}' AND lease_expires_at <= @now))`;
    const claimSet = `state = '${st.claimed}', attempts = attempts + 1, lease_owner = @owner, lease_expires_at = @until, updated_at = @now${t.claimSet ? `, ${t.claimSet}` : ''}`;
    const held = `id = @id AND state = '${st.claimed}' AND lease_owner = @owner`;
    const dueAt = `CASE state WHEN '${st.ready}' THEN next_attempt_at ELSE lease_expires_at END`;
    this.s = {
      claim: db.prepare<{ now: string; until: string; owner: string; partition: string; limit: number }, TRow>(
        `UPDATE ${table} SET ${claimSet}
          WHERE id IN (SELECT id FROM ${table} WHERE ${part} = @partition AND ${claimable} ORDER BY next_attempt_at, id LIMIT @limit)
          RETURNING *`,
      ),
      claimHead: db.prepare<{ now: string; until: string; owner: string; partition: string }, TRow>(
        `UPDATE ${table} SET ${claimSet}
          WHERE id = (SELECT id FROM ${table} WHERE ${part} = @partition AND state IN ('${st.ready}', '${st.claimed}') ORDER BY id LIMIT 1)
            AND ${claimable}
          RETURNING *`,
      ),
      complete: db.prepare<{ id: number; owner: string; now: string; note: string | null }>(
        `UPDATE ${table} SET state = '${st.done}', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now, ${t.completeSet} WHERE ${held}`,
      ),
      retry: db.prepare<{ id: number; owner: string; now: string; error: string; at: string }>(
        `UPDATE ${table} SET state = '${st.ready}', last_error = @error, next_attempt_at = @at, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${held} AND ${notSuperseded}`,
      ),
      dead: db.prepare<{ id: number; owner: string; now: string; error: string }>(
        `UPDATE ${table} SET state = '${st.dead}', last_error = @error, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE ${held}`,
      ),
      isHeld: db.prepare<{ id: number; owner: string }, { id: number }>(`SELECT id FROM ${table} WHERE ${held}`),
      extend: db.prepare<{ id: number; owner: string; until: string }>(`UPDATE ${table} SET lease_expires_at = @until WHERE ${held}`),
      release: db.prepare<{ id: number; owner: string; now: string }>(
        `UPDATE ${table} SET state = '${st.ready}', attempts = MAX(0, attempts - 1), next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${held} AND ${notSuperseded}`,
      ),
      releaseOwned: db.prepare<{ partition: string; owner: string; now: string }>(
        `UPDATE ${table} SET state = '${st.ready}', next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${part} = @partition AND state = '${st.claimed}' AND lease_owner = @owner AND ${notSuperseded}`,
      ),
      // What releasing could not put back (a newer waiting row does the work) is given up.
      supersedeOwned: db.prepare<{ partition: string; owner: string; now: string }>(
        `UPDATE ${table} SET state = '${st.dead}', last_error = COALESCE(last_error || ' ', '') || '(superseded by a newer job)', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${part} = @partition AND state = '${st.claimed}' AND lease_owner = @owner`,
      ),
      resend: db.prepare<{ id: number; now: string }, { partition: string }>(
        `UPDATE ${table} SET state = '${st.ready}', attempts = 0, next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE id = @id AND state IN ('${st.dead}', '${st.ready}') AND ${notSuperseded}
          RETURNING ${part} AS partition`,
      ),
      nextDue: db.prepare<{ partition: string }, { t: string | null }>(
        `SELECT MIN(${dueAt}) AS t FROM ${table} WHERE ${part} = @partition AND state IN ('${st.ready}', '${st.claimed}')`,
      ),
      nextDueHead: db.prepare<{ partition: string }, { t: string | null }>(
        `SELECT ${dueAt} AS t FROM ${table} WHERE ${part} = @partition AND state IN ('${st.ready}', '${st.claimed}') ORDER BY id LIMIT 1`,
      ),
    };
  }

  /** The table's own insert, run inside the caller's transaction (or alone). */
  protected abstract insert(item: TNew, nowMs: number): Enqueued;

  enqueueIn(tx: SqliteTx, item: TNew, nowMs: number): Enqueued {
    if (tx.db !== this.db || !this.db.inTransaction) throw new Error(`enqueue into ${this.t.table}: not inside a transaction on this queue's database`);
    return this.insert(item, nowMs);
  }

  enqueue(item: TNew, nowMs: number): Promise<Enqueued> {
    return settled(() => this.insert(item, nowMs));
  }

  /** Synchronous claim, for SQLite-only callers and tests; `claim` is the seam. */
  claimNow(r: ClaimRequest): TItem[] {
    const args = { now: isoNow(r.nowMs), until: isoNow(r.nowMs + r.leaseMs), owner: r.owner, partition: r.partition };
    // A claim may be lost in a crash without harm (the row stays ready, or its lease expires and it is claimed
    // again), so its commit skips the fsync; completing and failing stay fully durable.
    const rows = commitWithoutSync(this.db, () => (r.inOrder === true ? (this.s.claimHead.all(args) as TRow[]) : this.s.claim.all({ ...args, limit: r.limit })));
    return rows.map((row) => this.t.toItem(row)).sort((a, b) => a.id - b.id);
  }

  claim(r: ClaimRequest): Promise<TItem[]> {
    return settled(() => this.claimNow(r));
  }

  complete(id: number, owner: string, nowMs: number, note?: string): Promise<boolean> {
    return settled(() => this.s.complete.run({ id, owner, now: isoNow(nowMs), note: note ?? null }).changes === 1);
  }

  fail(id: number, owner: string, failure: Failure, nowMs: number): Promise<FailResult> {
    return settled(() =>
      this.db.transaction((): FailResult => {
        const now = isoNow(nowMs);
        if (this.s.isHeld.get({ id, owner }) === undefined) return 'lease-lost';
        if (failure.retryAtMs === undefined) {
          this.s.dead.run({ id, owner, now, error: failure.error });
          return 'dead';
        }
        if (this.s.retry.run({ id, owner, now, error: failure.error, at: isoNow(failure.retryAtMs) }).changes === 1) return 'retrying';
        this.s.dead.run({ id, owner, now, error: `${failure.error} (superseded by a newer job)` });
        return 'superseded';
      })(),
    );
  }

  extendLease(id: number, owner: string, untilMs: number): Promise<boolean> {
    return settled(() => this.s.extend.run({ id, owner, until: isoNow(untilMs) }).changes === 1);
  }

  release(id: number, owner: string, nowMs: number): Promise<boolean> {
    return settled(() => this.s.release.run({ id, owner, now: isoNow(nowMs) }).changes === 1);
  }

  releaseOwned(partition: string, owner: string, nowMs: number): Promise<number> {
    return settled(() =>
      this.db.transaction(() => {
        const args = { partition, owner, now: isoNow(nowMs) };
        const n = this.s.releaseOwned.run(args).changes;
        this.s.supersedeOwned.run(args);
        return n;
      })(),
    );
  }

  /** Synchronous resend, for the CLI on a stopped daemon; `resend` is the seam. */
  resendNow(id: number, nowMs: number): { partition: string } | undefined {
    return this.s.resend.get({ id, now: isoNow(nowMs) });
  }

  resend(id: number, nowMs: number): Promise<{ partition: string } | undefined> {
    return settled(() => this.resendNow(id, nowMs));
  }

  nextDueMs(partition: string, options?: { inOrder?: boolean }): Promise<number | undefined> {
    return settled(() => {
      const row = (options?.inOrder === true ? this.s.nextDueHead : this.s.nextDue).get({ partition });
      return row?.t == null ? undefined : Date.parse(row.t);
    });
  }
}

/** A synchronous call as a promise: a throw becomes a rejection, never an exception out of an async seam. */
function settled<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
