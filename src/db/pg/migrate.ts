/**
 * Brings a PostgreSQL database to this code's schema, safely when several nodes start at once: the whole run is one
 * transaction holding a transaction-level advisory lock (PostgreSQL docs, "Advisory Locks", 13.3.5), so the first
 * node applies the missing migrations and every other node waits, then finds them applied and does nothing.
 * DDL is transactional in PostgreSQL: a failing migration leaves the schema as it was. A database whose schema is
 * newer than this code (a newer node migrated it) is refused: this node would not know its tables.
 */
import { GatewayError } from '../../errors.js';
import { PG_MIGRATIONS } from './migrations.js';
import { guarded, pgTransaction, rows, type Pool } from './pool.js';

/** The advisory lock key of this application's schema: an arbitrary constant every version of the gateway uses. */
const MIGRATION_LOCK_KEY = '4736503145730219';

export interface MigrationRun {
  /** The schema version found (0: an empty database). */
  from: number;
  /** The version now: this code's. */
  to: number;
}

export interface MigrateOptions {
  /** The migrations to apply, in order; the gateway's own unless a test brings others. */
  migrations?: readonly string[];
  /** Who applied them, kept with each version (the node's name). */
  node?: string;
}

export async function migratePg(pool: Pool, options: MigrateOptions = {}): Promise<MigrationRun> {
  const migrations = options.migrations ?? PG_MIGRATIONS;
  return guarded('migrate', 'schema_migrations', () =>
    pgTransaction(pool, async ({ client }) => {
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      // Under the lock, so two first starts cannot both create it.
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text NOT NULL
      )`);
      const [row] = await rows<{ v: number | null }>(client, 'SELECT MAX(version) AS v FROM schema_migrations', []);
      const from = row?.v ?? 0;
      if (from > migrations.length) {
        throw new GatewayError(
          'GW_ERR_DATABASE_FAILED',
          `PostgreSQL schema version ${from} is newer than this gateway's (${migrations.length}): another node runs a newer version; upgrade this one`,
          { context: { engine: 'postgresql', schemaVersion: from, codeVersion: migrations.length } },
        );
      }
      for (let version = from + 1; version <= migrations.length; version++) {
        await client.query(migrations[version - 1] as string);
        await client.query('INSERT INTO schema_migrations (version, applied_by) VALUES ($1, $2)', [version, options.node ?? 'unknown']);
      }
      return { from, to: migrations.length };
    }),
  );
}
