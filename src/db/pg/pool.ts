/**
 * The PostgreSQL connection pool (node-postgres) as the PostgreSQL engine uses it: rows come back shaped like the
 * SQLite engine's (bigint ids as numbers, timestamptz as ISO-8601 UTC strings with milliseconds, what `isoNow`
 * writes), so one row type and one row→item mapping serve both engines. A lost server never crashes the process:
 * an idle connection's error is logged and the connection dropped (the pool opens a new one on the next call),
 * and a call in flight rejects with GW_ERR_DATABASE_FAILED naming the operation.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';

export type { Pool, PoolClient };

const INT8_OID = 20;
const TIMESTAMPTZ_OID = 1184;
const baseTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ_OID) as (value: string) => Date;

/** int8 (identity ids, COUNT(*)) as a JS number: ids stay far below 2^53, and a bigger one is refused, not rounded. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} is beyond JavaScript's safe integers`);
  return n;
}

const typeParsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (format !== 'binary' && oid === INT8_OID) return parseInt8;
    if (format !== 'binary' && oid === TIMESTAMPTZ_OID) return (v: string) => baseTimestamptz(v).toISOString();
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * A client that prepares every parameterised statement once per connection: a query with values goes out under a
 * name derived from its text (node-postgres then sends Parse once and only Bind/Execute afterwards), so the server
 * parses and plans each of the gateway's statements once per session instead of at every call. Statements without
 * values (BEGIN, COMMIT, DDL) go as they are. Every statement text of the gateway is fixed, so the names are few.
 */
class PreparingClient extends pg.Client {}
const unpreparedQuery = pg.Client.prototype.query;
Object.defineProperty(PreparingClient.prototype, 'query', {
  value: function query(this: pg.Client, config: unknown, values?: unknown, callback?: unknown): unknown {
    if (typeof config === 'string' && Array.isArray(values)) {
      const named = { name: statementName(config), text: config, values };
      return typeof callback === 'function' ? Reflect.apply(unpreparedQuery, this, [named, callback]) : Reflect.apply(unpreparedQuery, this, [named]);
    }
    return Reflect.apply(unpreparedQuery, this, [config, values, callback]);
  },
});

/** Names by text: computed once per statement, not hashed again at every C-STORE and HL7 message. */
const statementNames = new Map<string, string>();

function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `gw_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

export interface PgPoolOptions {
  connectionString: string;
  /** Connections per node; each claimer, heartbeat and repository call holds one only for its statement. */
  max?: number;
  /** A connect that takes longer fails the call (a server that is down must not hang a worker). */
  connectTimeoutMs?: number;
  /** The name PostgreSQL shows for our sessions (pg_stat_activity.application_name): the node. */
  applicationName?: string;
  log: Logger;
}

export function openPgPool(options: PgPoolOptions): Pool {
  const pool = new pg.Pool({
    Client: PreparingClient,
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'pacs-ai-gateway',
    types: typeParsers,
  });
  // Without a listener an idle connection's error (the server restarted, a failover) would be an uncaught
  // 'error' event and end the process; the pool has already dropped that connection.
  pool.on('error', (err) => options.log.warn('idle PostgreSQL connection lost; the pool reconnects on the next call', { error: err.message }));
  return pool;
}

/** The SQLSTATE of a PostgreSQL error (`23505` unique violation, `57P01` admin shutdown …), if it has one. */
export function sqlState(err: unknown): string | undefined {
  if (err instanceof pg.DatabaseError) return err.code;
  return undefined;
}

/**
 * Whether a failure leaves a write's outcome unknown: the connection was lost (no SQLSTATE: a reset, a refused or
 * timed-out connect, the server killed) or the server ended the session (class 08 connection exception, 57 operator
 * intervention). A COMMIT may have reached the WAL before the answer was lost, so the caller must not act as if it
 * had been rolled back. Errors with any other SQLSTATE were raised before the commit: nothing was written.
 * PostgreSQL docs, Appendix A "PostgreSQL Error Codes".
 */
function outcomeUnknown(err: unknown, state: string | undefined): boolean {
  if (neverConnected(err, state)) return false;
  return state === undefined || state.startsWith('08') || state.startsWith('57');
}

/** Failures before any statement reached a server: a refused or timed-out connect, a server still starting (57P03). */
function neverConnected(err: unknown, state: string | undefined): boolean {
  if (state === '57P03') return true;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  return err instanceof Error && /timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(err.message);
}

/** Runs `work` and turns any failure into a GW_ERR_DATABASE_FAILED naming the operation, with the driver's error as cause. */
export async function guarded<T>(operation: string, table: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    const state = sqlState(err);
    const why = err instanceof Error ? err.message : String(err);
    throw new GatewayError('GW_ERR_DATABASE_FAILED', `PostgreSQL ${operation} on ${table} failed: ${why}`, {
      context: { engine: 'postgresql', operation, table, ...(state === undefined ? {} : { sqlState: state }), ...(outcomeUnknown(err, state) ? { outcome: 'unknown' } : {}) },
      cause: err,
    });
  }
}

/** One statement's rows. */
export async function rows<T extends QueryResultRow>(db: Pool | PoolClient, text: string, values: unknown[]): Promise<T[]> {
  return (await db.query<T>(text, values)).rows;
}

/**
 * A PostgreSQL transaction in progress: a client taken from `pool` after BEGIN. Queue adapters enqueue through it
 * (`enqueueIn`), so an item commits or rolls back with the caller's own rows, as `SqliteTx` does on SQLite.
 */
export class PgTx {
  #active = true;

  constructor(
    readonly pool: Pool,
    readonly client: PoolClient,
  ) {}

  get active(): boolean {
    return this.#active;
  }

  /** @internal: pgTransaction ends it. */
  end(): void {
    this.#active = false;
  }
}

/**
 * Runs `work` in one transaction on a client of `pool`: COMMIT when it resolves, ROLLBACK when it throws. A
 * connection that failed mid-transaction is destroyed rather than returned to the pool. `work` must not keep `tx`
 * past its promise: enqueueIn refuses an ended transaction.
 */
export async function pgTransaction<T>(pool: Pool, work: (tx: PgTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  const tx = new PgTx(pool, client);
  let broken: Error | undefined;
  // A checked-out client has no pool listener: a connection lost between two statements would otherwise be an
  // uncaught 'error' event. The next statement fails on its own, and the client is then destroyed, not reused.
  const onError = (err: Error) => (broken = err);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(tx);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw err;
  } finally {
    tx.end();
    client.removeListener('error', onError);
    client.release(broken);
  }
}
