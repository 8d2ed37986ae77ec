import { join } from 'node:path';
import { Hl7MessagesRepo } from '../../../src/db/hl7-messages-repo.js';
import { openDatabase } from '../../../src/db/database.js';
import { SqliteJobQueue } from '../../../src/db/job-queue.js';
import { SqliteOutboxQueue } from '../../../src/db/outbox-queue.js';
import { ResultsRepo } from '../../../src/db/results-repo.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';
import { resultsReposContract, type MessageRow, type ResultsReposEngine } from './results-repos-contract.js';

/** The embedded engine: a fresh database file per test. */
async function openSqlite(): Promise<ResultsReposEngine> {
  const db = openDatabase(join(tempDir(), 'gw.sqlite'));
  return {
    results: new ResultsRepo(db, new SqliteOutboxQueue(db)),
    messages: new Hl7MessagesRepo(db, new SqliteJobQueue(db)),
    outbox: async () => db.prepare<[], { destination: string; dedupe_key: string }>('SELECT destination, dedupe_key FROM outbox ORDER BY id').all().map((r) => [r.destination, r.dedupe_key]),
    jobs: async () =>
      db
        .prepare<[], { kind: string; study_instance_uid: string; ref_id: number | null; state: string }>('SELECT kind, study_instance_uid, ref_id, state FROM jobs ORDER BY id')
        .all()
        .map((r) => [r.kind, r.study_instance_uid, r.ref_id, r.state]),
    message: async (id) => db.prepare<[number], MessageRow>('SELECT state, times_received, raw_sha256, findings, last_error, processed_at FROM hl7_messages WHERE id = ?').get(id),
    messageCount: async () => db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM hl7_messages').get()?.n ?? 0,
    forgetDigest: async (id) => {
      db.prepare('UPDATE hl7_messages SET raw_sha256 = NULL WHERE id = ?').run(id);
    },
  };
}

describe('db: results and HL7 message repositories (SQLite)', () => {
  after(runCleanups);
  resultsReposContract('SQLite', openSqlite);
});
