/**
 * The intake repositories' contract (intake-repos-contract.ts) on SQLite: instances recorded through the real
 * writer thread (DbWriter), read back on a second connection, as the daemon does; a fresh database file per test.
 */
import { join } from 'node:path';
import {
  DbWriter, InstancesRepo, JobKind, JobsRepo, OutboxRepo, RetentionRepo, SqliteJobQueue, SqliteOutboxQueue, StatusRepo, StudiesRepo, openDatabase,
} from '../../../src/db/index.js';
import { SqliteStudyStore } from '../../../src/studies/index.js';
import { runCleanups, tempDir } from '../../helpers/fixtures.js';
import { STUDY_ROW_COLUMNS, intakeReposContract, type IntakeEngine, type StudyRowState } from './intake-repos-contract.js';

const openSqlite: IntakeEngine = async ({ quietMs, nodeName }) => {
  const path = join(tempDir(), 'gw.sqlite');
  const db = openDatabase(path);
  const writer = new DbWriter({ path, studyQuietSeconds: quietMs / 1000, nodeName });
  const jobs = new SqliteJobQueue(db);
  return {
    instances: new InstancesRepo(db, writer),
    completion: new SqliteStudyStore(db, jobs, JobKind.AnalyzeStudy),
    completionFailingEnqueue: new SqliteStudyStore(
      db,
      {
        enqueueIn: (tx, item, nowMs) => {
          jobs.enqueueIn(tx, item, nowMs); // the row is written inside the transaction, then the step fails
          throw new Error('disk I/O error');
        },
      },
      JobKind.AnalyzeStudy,
    ),
    studies: new StudiesRepo(db),
    retention: new RetentionRepo(db),
    status: new StatusRepo(db),
    jobsReader: new JobsRepo(db),
    outboxItems: new OutboxRepo(db),
    jobs,
    outbox: new SqliteOutboxQueue(db),
    studyRow: async (uid) => db.prepare<[string], StudyRowState>(`SELECT ${STUDY_ROW_COLUMNS} FROM studies WHERE study_instance_uid = ?`).get(uid),
    instanceRow: async (sop) =>
      db.prepare<[string], { study_instance_uid: string; received_by: string; path: string }>('SELECT study_instance_uid, received_by, path FROM instances WHERE sop_instance_uid = ?').get(sop),
    close: async () => {
      await writer.close();
      db.close();
    },
  };
};

describe('db: intake repositories (SQLite)', () => {
  after(runCleanups);
  intakeReposContract('SQLite', openSqlite);
});
