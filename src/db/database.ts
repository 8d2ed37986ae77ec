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
