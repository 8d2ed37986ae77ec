/**
 * The PostgreSQL adapter of the Queue seam (src/queue), for several nodes on one database. It reads the same table
 * descriptions as the SQLite adapter (`QueueTable`: state names, partition column, SQL fragments), so both engines
 * keep the states the status page shows. What changes with several nodes:
 *
 * - A claim locks the rows it picks with `FOR UPDATE SKIP LOCKED` (PostgreSQL docs, SELECT, "The Locking Clause"):
 *   two nodes claiming at once get disjoint rows, and neither waits for the other.
 * - An in-order partition (HL7 destinations) claims only its head, the oldest unfinished row, and locks it with a
 *   plain `FOR UPDATE`: a second claimer waits for the first one's single-statement claim to commit, then sees the
 *   head leased and takes nothing. SKIP LOCKED there would hand it the row *behind* the head, out of order.
 * - Leases are in the nodes' time (`nowMs` from the caller, as on SQLite): nodes keep their clocks in step (NTP),
 *   and a lease is long against any skew (docs/scale-out.md).
 * - A unique index (one queued job per study) can be hit by a concurrent enqueue between a predicate's snapshot
 *   and the write; that is the same case as the `superseded` predicate and is answered the same way.
 * Every failure is a GW_ERR_DATABASE_FAILED naming the operation and table; the pool reconnects by itself.
 */
import type { QueryResultRow } from 'pg';
import type { ClaimRequest, Enqueued, FailResult, Failure, Queue, QueueItem, TransactionalEnqueue } from '../../queue/index.js';
import { isoNow } from '../database.js';
import type { QueueTable } from '../sqlite-queue.js';
import { compileNamed, type Compiled } from './named-sql.js';
import { guarded, pgTransaction, sqlState, type PgTx, type Pool, type PoolClient } from './pool.js';

type Params = Record<string, unknown>;
type Runner = Pool | PoolClient;

const UNIQUE_VIOLATION = '23505';

/** Other nodes add items this node is not told about: an idle worker looks again this often (cluster.pollMs). */
const DEFAULT_IDLE_POLL_MS = 1_000;

export interface PgQueueOptions {
  idlePollMs?: number;
}

export abstract class PgQueue<TRow extends QueryResultRow, TItem extends QueueItem, TNew>
  implements Queue<TItem, TNew>, TransactionalEnqueue<TNew, PgTx, Promise<Enqueued>>
{
  private readonly s;
  readonly idlePollMs: number;

  constructor(
    protected readonly pool: Pool,
    protected readonly t: QueueTable<TRow, TItem>,
    options: PgQueueOptions = {},
  ) {
    this.idlePollMs = options.idlePollMs ?? DEFAULT_IDLE_POLL_MS;
    const { table, partitionColumn: part } = t;
    const st = t.states;
    const notSuperseded = t.superseded === undefined ? 'TRUE' : `NOT (${t.superseded})`;
    const claimable = `((state = '${st.ready}' AND next_attempt_at <= @now) OR (state = '${st.claimed}' AND lease_expires_at <= @now))`;
    const claimSet = `state = '${st.claimed}', attempts = attempts + 1, lease_owner = @owner, lease_expires_at = @until, updated_at = @now${t.claimSet ? `, ${t.claimSet}` : ''}`;
    const held = `id = @id AND state = '${st.claimed}' AND lease_owner = @owner`;
    const dueAt = `CASE state WHEN '${st.ready}' THEN next_attempt_at ELSE lease_expires_at END`;
    const unfinished = `${part} = @partition AND state IN ('${st.ready}', '${st.claimed}')`;
    this.s = {
      claim: compileNamed(
        `WITH picked AS (
           SELECT id FROM ${table} WHERE ${part} = @partition AND ${claimable}
            ORDER BY next_attempt_at, id LIMIT @limit FOR UPDATE SKIP LOCKED)
         UPDATE ${table} SET ${claimSet} WHERE id IN (SELECT id FROM picked) RETURNING *`,
      ),
      claimHead: compileNamed(
        `WITH head AS (SELECT id FROM ${table} WHERE ${unfinished} ORDER BY id LIMIT 1 FOR UPDATE)
         UPDATE ${table} SET ${claimSet} WHERE id IN (SELECT id FROM head) AND ${claimable} RETURNING *`,
      ),
      complete: compileNamed(
        `UPDATE ${table} SET state = '${st.done}', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now, ${t.completeSet} WHERE ${held}`,
      ),
      lockHeld: compileNamed(`SELECT id FROM ${table} WHERE ${held} FOR UPDATE`),
      retry: compileNamed(
        `UPDATE ${table} SET state = '${st.ready}', last_error = @error, next_attempt_at = @at, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${held} AND ${notSuperseded}`,
      ),
      dead: compileNamed(
        `UPDATE ${table} SET state = '${st.dead}', last_error = @error, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE ${held}`,
      ),
      extend: compileNamed(`UPDATE ${table} SET lease_expires_at = @until WHERE ${held}`),
      release: compileNamed(
        `UPDATE ${table} SET state = '${st.ready}', attempts = GREATEST(0, attempts - 1), next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${held} AND ${notSuperseded}`,
      ),
      releaseOwned: compileNamed(
        `UPDATE ${table} SET state = '${st.ready}', next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${part} = @partition AND state = '${st.claimed}' AND lease_owner = @owner AND ${notSuperseded}`,
      ),
      // What releasing could not put back (a newer waiting row does the work) is given up.
      supersedeOwned: compileNamed(
        `UPDATE ${table} SET state = '${st.dead}', last_error = COALESCE(last_error || ' ', '') || '(superseded by a newer job)', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE ${part} = @partition AND state = '${st.claimed}' AND lease_owner = @owner`,
      ),
      resend: compileNamed(
        `UPDATE ${table} SET state = '${st.ready}', attempts = 0, next_attempt_at = @now, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
          WHERE id = @id AND state IN ('${st.dead}', '${st.ready}') AND ${notSuperseded}
          RETURNING ${part} AS partition`,
      ),
      nextDue: compileNamed(`SELECT MIN(${dueAt}) AS t FROM ${table} WHERE ${unfinished}`),
      nextDueHead: compileNamed(`SELECT ${dueAt} AS t FROM ${table} WHERE ${unfinished} ORDER BY id LIMIT 1`),
    };
  }

  /** The table's own insert, on the caller's transaction client or on the pool (autocommit). */
  protected abstract insert(db: Runner, item: TNew, nowMs: number): Promise<Enqueued>;

  enqueueIn(tx: PgTx, item: TNew, nowMs: number): Promise<Enqueued> {
    if (tx.pool !== this.pool || !tx.active) {
      return Promise.reject(new Error(`enqueue into ${this.t.table}: not inside a transaction on this queue's database`));
    }
    return this.guard('enqueue', () => this.insert(tx.client, item, nowMs));
  }

  enqueue(item: TNew, nowMs: number): Promise<Enqueued> {
    return this.guard('enqueue', () => this.insert(this.pool, item, nowMs));
  }

  claim(r: ClaimRequest): Promise<TItem[]> {
    return this.guard('claim', async () => {
      const args = { now: isoNow(r.nowMs), until: isoNow(r.nowMs + r.leaseMs), owner: r.owner, partition: r.partition };
      const rows = r.inOrder === true ? await this.all(this.pool, this.s.claimHead, args) : await this.all(this.pool, this.s.claim, { ...args, limit: r.limit });
      return rows.map((row) => this.t.toItem(row)).sort((a, b) => a.id - b.id);
    });
  }

  complete(id: number, owner: string, nowMs: number, note?: string): Promise<boolean> {
    return this.guard('complete', async () => (await this.run(this.pool, this.s.complete, { id, owner, now: isoNow(nowMs), note: note ?? null })) === 1);
  }

  fail(id: number, owner: string, failure: Failure, nowMs: number): Promise<FailResult> {
    return this.guard('fail', () =>
      this.transaction(async (c): Promise<FailResult> => {
        const now = isoNow(nowMs);
        if ((await this.all(c, this.s.lockHeld, { id, owner })).length === 0) return 'lease-lost';
        if (failure.retryAtMs === undefined) {
          await this.run(c, this.s.dead, { id, owner, now, error: failure.error });
          return 'dead';
        }
        const retried = await this.unlessDuplicate(c, () => this.run(c, this.s.retry, { id, owner, now, error: failure.error, at: isoNow(failure.retryAtMs as number) }));
        if (retried === 1) return 'retrying';
        await this.run(c, this.s.dead, { id, owner, now, error: `${failure.error} (superseded by a newer job)` });
        return 'superseded';
      }),
    );
  }

  extendLease(id: number, owner: string, untilMs: number): Promise<boolean> {
    return this.guard('extend lease', async () => (await this.run(this.pool, this.s.extend, { id, owner, until: isoNow(untilMs) })) === 1);
  }

  release(id: number, owner: string, nowMs: number): Promise<boolean> {
    return this.guard('release', async () => (await this.unlessDuplicate(this.pool, () => this.run(this.pool, this.s.release, { id, owner, now: isoNow(nowMs) }))) === 1);
  }

  releaseOwned(partition: string, owner: string, nowMs: number): Promise<number> {
    return this.guard('release owned', () =>
      this.transaction(async (c) => {
        const args = { partition, owner, now: isoNow(nowMs) };
        const n = await this.unlessDuplicate(c, () => this.run(c, this.s.releaseOwned, args));
        await this.run(c, this.s.supersedeOwned, args);
        return n;
      }),
    );
  }

  resend(id: number, nowMs: number): Promise<{ partition: string } | undefined> {
    return this.guard('resend', async () => {
      let row: { partition: string } | undefined;
      await this.unlessDuplicate(this.pool, async () => {
        [row] = await this.all<{ partition: string }>(this.pool, this.s.resend, { id, now: isoNow(nowMs) });
        return 1;
      });
      return row;
    });
  }

  nextDueMs(partition: string, options?: { inOrder?: boolean }): Promise<number | undefined> {
    return this.guard('next due', async () => {
      const [row] = await this.all<{ t: string | null }>(this.pool, options?.inOrder === true ? this.s.nextDueHead : this.s.nextDue, { partition });
      return row?.t == null ? undefined : Date.parse(row.t);
    });
  }

  protected guard<T>(operation: string, work: () => Promise<T>): Promise<T> {
    return guarded(operation, this.t.table, work);
  }

  protected async all<R extends QueryResultRow = TRow>(db: Runner, statement: Compiled<Params>, params: Params): Promise<R[]> {
    return (await db.query<R>(statement.text, statement.bind(params))).rows;
  }

  protected async run(db: Runner, statement: Compiled<Params>, params: Params): Promise<number> {
    return (await db.query(statement.text, statement.bind(params))).rowCount ?? 0;
  }

  protected transaction<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    return pgTransaction(this.pool, (tx) => work(tx.client));
  }

  /**
   * A write that a unique index may refuse because a concurrent enqueue just added the waiting row it would
   * duplicate (one queued job per study): counted as changing nothing, like the `superseded` predicate. Inside a
   * transaction a savepoint keeps the transaction usable after the refusal.
   */
  private async unlessDuplicate(db: Runner, write: () => Promise<number>): Promise<number> {
    const inTx = db !== this.pool;
    if (inTx) await db.query('SAVEPOINT unless_duplicate');
    try {
      const n = await write();
      if (inTx) await db.query('RELEASE SAVEPOINT unless_duplicate');
      return n;
    } catch (err) {
      if (sqlState(err) !== UNIQUE_VIOLATION) throw err;
      if (inTx) await db.query('ROLLBACK TO SAVEPOINT unless_duplicate');
      return 0;
    }
  }
}
