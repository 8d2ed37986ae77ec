/**
 * The intake and operator repositories on a real PostgreSQL (test/helpers/postgres.ts): the contract the SQLite
 * engine passes (test/unit/db/intake-repos-contract.ts), a fresh database per test; then what only several nodes
 * can show, each node a pool of its own: instances of one study recorded through two nodes at once, two nodes
 * completing the same study at once, a late instance racing the completion; and the schema itself, column for
 * column the SQLite one.
 */
import { expect } from 'chai';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/database.js';
import type { InstanceRecord, StudyProgress } from '../../src/db/instances-repo.js';
import { JobKind } from '../../src/db/job-queue.js';
import { PgInstancesStore } from '../../src/db/pg/pg-instances-store.js';
import { PgJobQueue } from '../../src/db/pg/pg-job-queue.js';
import { PgJobsReader } from '../../src/db/pg/pg-jobs-reader.js';
import { PgOutboxQueue } from '../../src/db/pg/pg-outbox-queue.js';
import { PgOutboxReader } from '../../src/db/pg/pg-outbox-reader.js';
import { PgRetentionStore } from '../../src/db/pg/pg-retention-store.js';
import { PgStatusReader } from '../../src/db/pg/pg-status-reader.js';
import { PgStudiesReader } from '../../src/db/pg/pg-studies-reader.js';
import { PgStudyStore } from '../../src/db/pg/pg-study-store.js';
import { openPgPool, type Pool } from '../../src/db/pg/pool.js';
import { GatewayError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { runCleanups, tempDir } from '../helpers/fixtures.js';
import { postgresPerSuite } from '../helpers/postgres.js';
import { STUDY_ROW_COLUMNS, instance, intakeReposContract, type IntakeRepos, type StudyRowState } from '../unit/db/intake-repos-contract.js';

const QUIET = 10_000;
const T = Date.parse('2030-06-01T00:00:00.000Z');

describe('db/pg: intake repositories on PostgreSQL', function () {
  this.timeout(120_000);
  const pgs = postgresPerSuite();
  after(runCleanups);
  const pool = (database: string, max = 10): Pool => pgs.pool(database, { max });
  const release = (p: Pool): Promise<void> => pgs.release(p);
  const freshDatabase = (): Promise<string> => pgs.migratedDatabase('intake');

  function repos(db: Pool, options: { quietMs: number; nodeName: string }): IntakeRepos {
    const jobs = new PgJobQueue(db);
    return {
      instances: new PgInstancesStore(db, options),
      completion: new PgStudyStore(db, jobs, JobKind.AnalyzeStudy),
      completionFailingEnqueue: new PgStudyStore(
        db,
        {
          enqueueIn: async (tx, item, nowMs) => {
            await jobs.enqueueIn(tx, item, nowMs); // the row is written inside the transaction, then the step fails
            throw new Error('disk I/O error');
          },
        },
        JobKind.AnalyzeStudy,
      ),
      studies: new PgStudiesReader(db),
      retention: new PgRetentionStore(db),
      status: new PgStatusReader(db),
      jobsReader: new PgJobsReader(db),
      outboxItems: new PgOutboxReader(db),
      jobs,
      outbox: new PgOutboxQueue(db),
      studyRow: async (uid) => (await db.query<StudyRowState>(`SELECT ${STUDY_ROW_COLUMNS} FROM studies WHERE study_instance_uid = $1`, [uid])).rows[0],
      instanceRow: async (sop) =>
        (await db.query<{ study_instance_uid: string; received_by: string; path: string }>('SELECT study_instance_uid, received_by, path FROM instances WHERE sop_instance_uid = $1', [sop])).rows[0],
      close: () => release(db),
    };
  }

  intakeReposContract('PostgreSQL', async (options) => repos(pool(await freshDatabase()), options));

  describe('several nodes on one database', () => {
    let name: string;
    beforeEach(async () => {
      name = await freshDatabase();
    });

    /** The server log written since `from` (its length before), for a deadlock PostgreSQL detected and resolved. */
    const logSince = (from: number): string => pgs.cluster().log().slice(from);

    it('instances of the same studies through two nodes at once: every count exact, no deadlock, each row names its node', async () => {
      const nodes = (['node-a', 'node-b'] as const).map((nodeName) => ({ nodeName, store: new PgInstancesStore(pool(name, 4), { quietMs: QUIET, nodeName }) }));
      const studies = ['7.1', '7.2', '7.3'];
      const logFrom = pgs.cluster().log().length;
      const progress: StudyProgress[] = [];
      const recorded: Array<{ sop: string; node: string }> = [];
      // Each node: 4 associations, each storing 15 instances one after another, cycling through the studies in an
      // order of its own (node B the reverse of node A), so batches hold several studies in different orders.
      await Promise.all(
        nodes.flatMap(({ nodeName, store }, n) =>
          [0, 1, 2, 3].map(async (assoc) => {
            for (let i = 0; i < 15; i++) {
              const k = (assoc * 7 + i * 5) % studies.length;
              const study = studies[n === 0 ? k : studies.length - 1 - k] as string;
              const x: InstanceRecord = instance(study, T + i, { callingAe: `${nodeName}-${assoc}` });
              progress.push(await store.record(x));
              recorded.push({ sop: x.sopInstanceUid, node: nodeName });
            }
          }),
        ),
      );
      const db = pool(name, 2);
      for (const study of studies) {
        const counts = progress.filter((p) => p.studyInstanceUid === study).map((p) => p.instanceCount).sort((a, b) => a - b);
        // Recording takes the study row's lock first, so the nodes take turns: each record counts once, in turn.
        expect(counts, study).to.deep.equal(Array.from({ length: counts.length }, (_, i) => i + 1));
        const [row] = (await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM instances WHERE study_instance_uid = $1', [study])).rows;
        expect(row?.n).to.equal(counts.length);
      }
      expect(progress.length).to.equal(120);
      const byNode = (await db.query<{ sop_instance_uid: string; received_by: string }>('SELECT sop_instance_uid, received_by FROM instances')).rows;
      const stored = new Map(byNode.map((r) => [r.sop_instance_uid, r.received_by]));
      for (const r of recorded) expect(stored.get(r.sop), r.sop).to.equal(r.node);
      expect(byNode.filter((r) => r.received_by === 'node-a').length).to.equal(60);
      expect(logSince(logFrom)).to.not.include('deadlock detected');
    });

    it('two nodes completing the same due studies at once: exactly one completes each, one analysis job each', async () => {
      const recorder = new PgInstancesStore(pool(name, 2), { quietMs: QUIET, nodeName: 'node-a' });
      const studies = Array.from({ length: 12 }, (_, i) => `8.${i + 1}`);
      await Promise.all(studies.map((s) => recorder.record(instance(s, T))));
      const stores = [pool(name, 6), pool(name, 6)].map((p) => new PgStudyStore(p, new PgJobQueue(p), JobKind.AnalyzeStudy));
      const results = await Promise.all(studies.flatMap((s) => stores.map(async (store, node) => ({ s, node, won: await store.completeIfDue(s, T + QUIET) }))));
      for (const s of studies) expect(results.filter((r) => r.s === s && r.won).length, s).to.equal(1);
      const db = pool(name, 2);
      const jobs = (await db.query<{ s: string; n: number }>('SELECT study_instance_uid AS s, COUNT(*) AS n FROM jobs GROUP BY study_instance_uid ORDER BY 1')).rows;
      expect(jobs).to.deep.equal(studies.map((s) => ({ s, n: 1 })).sort((a, b) => a.s.localeCompare(b.s)));
      const complete = (await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM studies WHERE status = 'complete'`)).rows[0];
      expect(complete?.n).to.equal(studies.length);
    });

    it('a late instance through one node racing the completion on the other: either it re-opens a completed study or the completion waits', async () => {
      const recordB = new PgInstancesStore(pool(name, 3), { quietMs: QUIET, nodeName: 'node-b' });
      const a = pool(name, 3);
      const completeA = new PgStudyStore(a, new PgJobQueue(a), JobKind.AnalyzeStudy);
      const studies = Array.from({ length: 12 }, (_, i) => `9.${i + 1}`);
      await Promise.all(studies.map((s) => recordB.record(instance(s, T))));
      // One study at a time, the late instance sent a little later each time (0 to 5 ms), so either side can win.
      const outcomes: Array<{ s: string; won: boolean; late: StudyProgress }> = [];
      for (const [i, s] of studies.entries()) {
        const lateAfter = new Promise<void>((resolve) => setTimeout(resolve, i % 6));
        const [won, late] = await Promise.all([completeA.completeIfDue(s, T + QUIET), lateAfter.then(() => recordB.record(instance(s, T + QUIET - 1)))]);
        outcomes.push({ s, won, late });
      }
      const db = pool(name, 2);
      for (const { s, won, late } of outcomes) {
        const [row] = (await db.query<{ status: string; due: string; jobs: number }>(
          `SELECT status, complete_due_at AS due, (SELECT COUNT(*) FROM jobs j WHERE j.study_instance_uid = s.study_instance_uid) AS jobs FROM studies s WHERE study_instance_uid = $1`,
          [s],
        )).rows;
        // Whichever went first, the late instance leaves the study receiving with its due time pushed back, and a
        // job exists only if the completion won.
        expect(row, s).to.deep.equal({ status: 'receiving', due: new Date(T + 2 * QUIET - 1).toISOString(), jobs: won ? 1 : 0 });
        expect(late.instanceCount, s).to.equal(2);
      }
    });

    it('a database that cannot be reached fails each call with GW_ERR_DATABASE_FAILED naming the operation', async () => {
      const gone = pool('no_such_database', 1);
      const failure = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as GatewayError);
      const recorded = await failure(new PgInstancesStore(gone, { quietMs: QUIET, nodeName: 'n' }).record(instance('10.1', T)));
      expect(recorded).to.be.instanceOf(GatewayError);
      expect(recorded).to.deep.include({ code: 'GW_ERR_DATABASE_FAILED' });
      expect(recorded?.context).to.deep.include({ engine: 'postgresql', operation: 'record instance', table: 'instances' });
      const completed = await failure(new PgStudyStore(gone, new PgJobQueue(gone), JobKind.AnalyzeStudy).completeIfDue('10.1', T));
      expect(completed?.context).to.deep.include({ operation: 'complete study', table: 'studies' });
      expect((await failure(new PgStatusReader(gone).summary()))?.code).to.equal('GW_ERR_DATABASE_FAILED');
    });
  });

  describe('a server that does not answer', () => {
    it('fails a burst of records together, after one connect timeout, not one per record', async () => {
      // accepts TCP connections and never speaks: every connect runs into the pool's connect timeout
      const sockets: Socket[] = [];
      const server = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const silent = openPgPool({ connectionString: `postgres://postgres@127.0.0.1:${port}/gw`, log: silentLogger, max: 2, connectTimeoutMs: 400 });
      try {
        const store = new PgInstancesStore(silent, { quietMs: QUIET, nodeName: 'n' });
        const started = Date.now();
        const settled = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => store.record(instance('11.1', T + i))));
        const elapsed = Date.now() - started;
        expect(settled.map((r) => r.status)).to.deep.equal(Array(6).fill('rejected'));
        const [first] = settled;
        expect(first?.status === 'rejected' && (first.reason as GatewayError).code).to.equal('GW_ERR_DATABASE_FAILED');
        expect(elapsed, 'one connect timeout (400 ms) for the batch').to.be.lessThan(1_500);
      } finally {
        for (const socket of sockets) socket.destroy();
        server.close();
        await silent.end().catch(() => undefined);
      }
    });
  });

  describe('the schema', () => {
    it('every table has the same columns on PostgreSQL as on SQLite', async () => {
      const db = pool(await freshDatabase(), 2);
      const pgColumns = new Map<string, string[]>();
      for (const r of (
        await db.query<{ table_name: string; column_name: string }>(
          `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`,
        )
      ).rows) {
        pgColumns.set(r.table_name, [...(pgColumns.get(r.table_name) ?? []), r.column_name]);
      }
      const sqlite = openDatabase(join(tempDir(), 'parity.sqlite'));
      const sqliteColumns = new Map<string, string[]>();
      try {
        const tables = sqlite.prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all();
        for (const { name: table } of tables) {
          sqliteColumns.set(table, sqlite.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`).all().map((c) => c.name));
        }
      } finally {
        sqlite.close();
      }
      const sorted = (m: Map<string, string[]>) => Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, cols]) => [t, [...cols].sort()]));
      expect(sorted(pgColumns)).to.deep.equal(sorted(sqliteColumns));
      expect(pgColumns.size, 'every table of both schemas').to.be.greaterThan(9);
    });
  });
});
