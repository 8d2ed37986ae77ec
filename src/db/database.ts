/**
 * The SQLite database (better-sqlite3, WAL, synchronous=FULL so a committed row survives power loss).
 * Migrations are numbered and run in one transaction each; the schema version is `user_version`.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GatewayError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
  } catch (err) {
    throw new GatewayError('GW_ERR_DATABASE_FAILED', `cannot open database ${path}: ${(err as Error).message}`, {
      context: { path },
      cause: err,
    });
  }
  return db;
}

/**
 * Runs `write` as one transaction whose commit does not fsync the WAL (synchronous=NORMAL for this commit only).
 * Only for writes that may be lost in a power cut without harm: the next FULL commit syncs them with its own frames,
 * and WAL keeps the database consistent either way. Measured with bench:hl7: a queue claim per report job was one
 * of three fsyncs on the main thread per report, and ACKs waited behind them.
 */
export function commitWithoutSync<T>(db: Db, write: () => T): T {
  if (db.inTransaction) return db.transaction(write)(); // part of a larger commit, which decides
  db.pragma('synchronous = NORMAL');
  try {
    return db.transaction(write)();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

/**
 * Opens an existing database read-only, without migrating it (the CLI's `status` while the daemon may be running:
 * WAL lets it read beside the writer). Throws GW_ERR_DATABASE_FAILED naming the path when it cannot.
 */
export function openDatabaseReadOnly(path: string): Db {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      db.close();
      throw new Error(`schema version ${version}, this gateway expects ${MIGRATIONS.length}: start the daemon once to migrate it, or use the matching version`);
    }
    return db;
  } catch (err) {
    throw new GatewayError('GW_ERR_DATABASE_FAILED', `cannot read database ${path}`, { context: { path }, cause: err });
  }
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this gateway (${MIGRATIONS.length}): upgrade the gateway`);
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/** Time as stored in the database: ISO-8601 UTC with milliseconds. */
export function isoNow(ms: number = Date.now()): string {
  return new Date(ms).toISOString();
}

/**
 * Whether a failed write may nevertheless have committed (the connection to PostgreSQL was lost around its COMMIT):
 * the caller must then keep what the row would name (a spool file) rather than undo it. Looks through `cause`s.
 * SQLite's writes fail before their commit or not at all, so only the PostgreSQL engine marks this.
 */
export function commitOutcomeUnknown(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof GatewayError && e.context.outcome === 'unknown') return true;
  }
  return false;
}
