import { join } from 'node:path';
import { SqliteAuditQueue, SqliteJobQueue, SqliteOutboxQueue, openDatabase } from '../../../src/db/index.js';
import { sqliteTransaction } from '../../../src/db/sqlite-queue.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';
import { queueContract, type QueueEngine, type RowState } from './queue-contract.js';

/** The embedded engine: a fresh database file per test. */
async function openSqlite(): Promise<QueueEngine> {
  const db = openDatabase(join(tempDir(), 'gw.sqlite'));
  const jobs = new SqliteJobQueue(db);
  return {
    outbox: new SqliteOutboxQueue(db),
    jobs,
    audit: (max) => {
      const queue = new SqliteAuditQueue(db, max);
      return { queue, add: async (item, nowMs) => queue.add(item, nowMs), waiting: async () => queue.waiting() };
    },
    enqueueJobIn: async (job, nowMs, thenThrow) =>
      sqliteTransaction(db, (tx) => {
        const r = jobs.enqueueIn(tx, job, nowMs);
        if (thenThrow) throw new Error('caller failed after enqueueing');
        return r;
      }),
    enqueueJobOutsideTransaction: async (job, nowMs) => jobs.enqueueIn({ db }, job, nowMs),
    row: async (table, id) => db.prepare<[number], RowState>(`SELECT state, attempts, last_error FROM ${table} WHERE id = ?`).get(id),
    jobsOfStudy: async (uid) =>
      db
        .prepare<[string], { state: string; last_error: string | null }>('SELECT state, last_error FROM jobs WHERE study_instance_uid = ? ORDER BY id')
        .all(uid)
        .map((r) => [r.state, r.last_error]),
  };
}

describe('db/sqlite-queue', () => {
  after(runCleanups);
  queueContract('SQLite', openSqlite);
});
