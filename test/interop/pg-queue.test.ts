/**
 * The PostgreSQL engine against a real PostgreSQL (Debian's, started by test/helpers/postgres.ts): the Queue
 * contract the SQLite engine passes, migrations under an advisory lock, and what only several nodes can show:
 * racing claimers, a node that dies holding leases, heartbeats, a server restart under a call in flight.
 */
import { expect } from 'chai';
import { JobKind } from '../../src/db/job-queue.js';
import type { OutboxItem } from '../../src/db/outbox-queue.js';
import { PgAuditQueue } from '../../src/db/pg/pg-audit-queue.js';
import { PgJobQueue } from '../../src/db/pg/pg-job-queue.js';
import { PgOutboxQueue } from '../../src/db/pg/pg-outbox-queue.js';
import { migratePg } from '../../src/db/pg/migrate.js';
import { PG_MIGRATIONS } from '../../src/db/pg/migrations.js';
import { openPgPool, pgTransaction, type Pool } from '../../src/db/pg/pool.js';
import { GatewayError } from '../../src/errors.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { QueueWorker, systemClock } from '../../src/queue/index.js';
import { capturingLogger } from '../helpers/capturing-logger.js';
import { waitFor } from '../helpers/fixtures.js';
import { postgresPerSuite } from '../helpers/postgres.js';
import { queueContract, type QueueEngine, type RowState } from '../unit/db/queue-contract.js';

const T = 1_000_000;

describe('db/pg: the PostgreSQL engine', function () {
  this.timeout(120_000);
  const pgs = postgresPerSuite();
  const pool = (database: string, log: Logger = silentLogger, max = 10): Pool => pgs.pool(database, { log, max });
  const freshDatabase = (): Promise<string> => pgs.migratedDatabase();

  describe('the Queue contract', () => {
    let db: Pool;
    before(async () => {
      db = pool(await freshDatabase());
    });

    queueContract('PostgreSQL', async (): Promise<QueueEngine> => {
      await db.query('TRUNCATE jobs, outbox, audit_records RESTART IDENTITY');
      const jobs = new PgJobQueue(db);
      return {
        outbox: new PgOutboxQueue(db),
        jobs,
        audit: (max) => {
          const queue = new PgAuditQueue(db, max);
          return { queue, add: (item, nowMs) => queue.add(item, nowMs), waiting: () => queue.waiting() };
        },
        enqueueJobIn: (job, nowMs, thenThrow) =>
          pgTransaction(db, async (tx) => {
            const r = await jobs.enqueueIn(tx, job, nowMs);
            if (thenThrow) throw new Error('caller failed after enqueueing');
            return r;
          }),
        // a transaction handle kept past its commit (a bug in a caller) is refused
        enqueueJobOutsideTransaction: async (job, nowMs) => jobs.enqueueIn(await pgTransaction(db, async (tx) => tx), job, nowMs),
        row: async (table, id) => (await db.query<RowState>(`SELECT state, attempts, last_error FROM ${table} WHERE id = $1`, [id])).rows[0],
        jobsOfStudy: async (uid) =>
          (await db.query<{ state: string; last_error: string | null }>('SELECT state, last_error FROM jobs WHERE study_instance_uid = $1 ORDER BY id', [uid])).rows.map((r) => [
            r.state,
            r.last_error,
          ]),
      };
    });
  });

  describe('migrations', () => {
    it('several nodes starting at once apply each migration exactly once', async () => {
      const name = await pgs.cluster().createDatabase();
      const nodes = Array.from({ length: 6 }, () => pool(name, silentLogger, 2));
      // a migration that is not idempotent, so a second application would fail or show as a second row
      const counting = [...PG_MIGRATIONS, 'CREATE TABLE applied (n integer); INSERT INTO applied VALUES (1);'];
      const runs = await Promise.all(nodes.map((p, i) => migratePg(p, { migrations: counting, node: `node-${i}` })));
      expect(runs.filter((r) => r.from === 0)).to.have.length(1);
      expect(runs.filter((r) => r.from === counting.length)).to.have.length(5);
      const check = nodes[0] as Pool;
      expect((await check.query('SELECT COUNT(*) AS n FROM applied')).rows).to.deep.equal([{ n: 1 }]);
      const versions = await check.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.rows.map((r) => r.version)).to.deep.equal(counting.map((_m, i) => i + 1));
    });

    it('an older gateway refuses a newer schema, naming both versions; a failed migration changes nothing', async () => {
      const name = await pgs.cluster().createDatabase();
      const p = pool(name);
      await migratePg(p, { migrations: [...PG_MIGRATIONS, 'CREATE TABLE newer (n integer);'] });
      let refused: unknown;
      await migratePg(p).catch((err: unknown) => (refused = err));
      expect(refused).to.be.instanceOf(GatewayError);
      expect((refused as GatewayError).code).to.equal('GW_ERR_DATABASE_FAILED');
      expect((refused as Error).message).to.match(new RegExp(`schema version ${PG_MIGRATIONS.length + 1} is newer than this gateway's \\(${PG_MIGRATIONS.length}\\)`));

      const other = pool(await pgs.cluster().createDatabase());
      await migratePg(other);
      let failed: unknown;
      await migratePg(other, { migrations: [...PG_MIGRATIONS, 'CREATE TABLE half (n integer); SELECT no_such_function();'] }).catch((err: unknown) => (failed = err));
      expect((failed as GatewayError).message).to.match(/PostgreSQL migrate on schema_migrations failed: .*no_such_function/);
      expect((await other.query(`SELECT to_regclass('half') AS t`)).rows).to.deep.equal([{ t: null }]);
      expect((await other.query('SELECT MAX(version) AS v FROM schema_migrations')).rows).to.deep.equal([{ v: PG_MIGRATIONS.length }]);
    });
  });

  describe('several nodes on one database', () => {
    let name: string;
    let nodeA: Pool;
    let nodeB: Pool;
    beforeEach(async () => {
      name = await freshDatabase();
      nodeA = pool(name);
      nodeB = pool(name);
    });

    it('two nodes racing to claim never get the same row, and together deliver every row once', async () => {
      const setup = new PgOutboxQueue(nodeA);
      const total = 300;
      for (let i = 0; i < total; i++) await setup.enqueue({ kind: 'dicom', destination: 'PACS', studyInstanceUid: '1', dedupeKey: `k${i}`, payload: 'x' }, T);
      const claimedBy = new Map<number, string>();
      const duplicates: number[] = [];
      // four claimers per node, each claiming 3 at a time and completing them, until nothing is left
      const claimer = async (p: Pool, owner: string) => {
        const q = new PgOutboxQueue(p);
        for (;;) {
          const items = await q.claim({ partition: 'PACS', owner, leaseMs: 60_000, limit: 3, nowMs: T });
          if (items.length === 0) return;
          for (const item of items) {
            if (claimedBy.has(item.id)) duplicates.push(item.id);
            claimedBy.set(item.id, owner);
            expect(await q.complete(item.id, owner, T)).to.equal(true);
          }
        }
      };
      await Promise.all([nodeA, nodeB].flatMap((p, n) => [0, 1, 2, 3].map((c) => claimer(p, `node-${n}/${c}`))));
      expect(duplicates).to.deep.equal([]);
      expect(claimedBy.size).to.equal(total);
      const byNode = [...claimedBy.values()].reduce((m, o) => m.set(o.slice(0, 6), (m.get(o.slice(0, 6)) ?? 0) + 1), new Map<string, number>());
      expect(byNode.size, 'both nodes took part').to.equal(2);
      expect((await nodeA.query(`SELECT state, COUNT(*) AS n FROM outbox GROUP BY state`)).rows).to.deep.equal([{ state: 'delivered', n: total }]);
    });

    it('in order under concurrency: two nodes serving one HL7 destination deliver its messages once each, in order', async () => {
      const setup = new PgOutboxQueue(nodeA);
      const total = 25;
      for (let i = 0; i < total; i++) await setup.enqueue({ kind: 'hl7', destination: 'RIS', studyInstanceUid: '1', dedupeKey: `m${String(i).padStart(2, '0')}`, payload: 'MSH|' }, T);
      const sent: string[] = [];
      const worker = (p: Pool, owner: string) =>
        new QueueWorker<OutboxItem>({
          queue: new PgOutboxQueue(p),
          partition: 'RIS',
          owner,
          inOrder: true,
          concurrency: 1,
          leaseMs: 60_000,
          policy: { baseMs: 10, maxMs: 100, maxAttempts: 5 },
          clock: systemClock,
          log: silentLogger,
          handle: async (item) => {
            sent.push(item.dedupeKey);
            await new Promise((r) => setImmediate(r));
            return { kind: 'done' };
          },
        });
      const workers = [worker(nodeA, 'node-a'), worker(nodeB, 'node-b')];
      await Promise.all(workers.map((w) => w.start()));
      // each node is told about new rows, as flows/delivery's notify() would on its own node
      const nudging = setInterval(() => workers.forEach((w) => w.notify()), 5);
      try {
        await waitFor('all delivered', () => sent.length >= total, 30_000);
      } finally {
        clearInterval(nudging);
        await Promise.all(workers.map((w) => w.stop()));
      }
      expect(sent).to.deep.equal(Array.from({ length: total }, (_v, i) => `m${String(i).padStart(2, '0')}`));
    });

    it('racing in-order claims: of many claimers at once, exactly one gets the head and none gets a row behind it', async () => {
      const q = new PgOutboxQueue(nodeA);
      const head = (await q.enqueue({ kind: 'hl7', destination: 'RIS', studyInstanceUid: '1', dedupeKey: 'h', payload: 'MSH|' }, T)).id;
      await q.enqueue({ kind: 'hl7', destination: 'RIS', studyInstanceUid: '1', dedupeKey: 'next', payload: 'MSH|' }, T);
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_v, i) => new PgOutboxQueue(i % 2 === 0 ? nodeA : nodeB).claim({ partition: 'RIS', owner: `c${i}`, leaseMs: 60_000, limit: 1, nowMs: T, inOrder: true })),
      );
      expect(claims.flat().map((i) => i.id)).to.deep.equal([head]);
    });

    it('a node killed while holding leases: the other node takes its rows once the leases expire', async () => {
      const a = new PgOutboxQueue(nodeA);
      const ids: number[] = [];
      for (const k of ['a', 'b', 'c']) ids.push((await a.enqueue({ kind: 'dicom', destination: 'PACS', studyInstanceUid: '1', dedupeKey: k, payload: k }, T)).id);
      expect((await a.claim({ partition: 'PACS', owner: 'node-a', leaseMs: 30_000, limit: 10, nowMs: T })).map((i) => i.id)).to.deep.equal(ids);
      await pgs.release(nodeA); // node A is gone: its connections closed, its rows still leased
      const b = new PgOutboxQueue(nodeB);
      expect(await b.claim({ partition: 'PACS', owner: 'node-b', leaseMs: 30_000, limit: 10, nowMs: T + 29_999 }), 'leases still run').to.deep.equal([]);
      expect(await b.nextDueMs('PACS')).to.equal(T + 30_000);
      const taken = await b.claim({ partition: 'PACS', owner: 'node-b', leaseMs: 30_000, limit: 10, nowMs: T + 30_000 });
      expect(taken.map((i) => [i.id, i.attempts])).to.deep.equal(ids.map((id) => [id, 2]));
      for (const id of ids) expect(await b.complete(id, 'node-b', T + 30_001)).to.equal(true);
    });

    it('a heartbeat (extendLease) keeps a row from the other node for as long as it beats', async () => {
      const a = new PgJobQueue(nodeA);
      const b = new PgJobQueue(nodeB);
      const { id } = await a.enqueue({ kind: JobKind.AnalyzeStudy, studyInstanceUid: '5.5' }, T);
      await a.claim({ partition: JobKind.AnalyzeStudy, owner: 'node-a', leaseMs: 1000, limit: 1, nowMs: T });
      for (let beat = 1; beat <= 5; beat++) {
        const now = T + beat * 500;
        expect(await a.extendLease(id, 'node-a', now + 1000)).to.equal(true);
        expect(await b.claim({ partition: JobKind.AnalyzeStudy, owner: 'node-b', leaseMs: 1000, limit: 1, nowMs: now + 999 })).to.deep.equal([]);
      }
      // the beats stop (node A hangs): the lease runs out at its last extension
      const taken = await b.claim({ partition: JobKind.AnalyzeStudy, owner: 'node-b', leaseMs: 1000, limit: 1, nowMs: T + 2500 + 1000 });
      expect(taken.map((j) => [j.id, j.attempts, j.studyInstanceUid])).to.deep.equal([[id, 2, '5.5']]);
      expect(await a.extendLease(id, 'node-a', T + 9000), 'the late beat finds its lease lost').to.equal(false);
      expect(await a.complete(id, 'node-a', T + 9000)).to.equal(false);
    });
  });

  describe('a PostgreSQL restart', () => {
    it('a call in flight fails with a typed error, nothing crashes, and the same pool carries on afterwards', async () => {
      const name = await freshDatabase();
      const lines = capturingLogger();
      const p = pool(name, lines, 4);
      const q = new PgOutboxQueue(p);
      const head = (await q.enqueue({ kind: 'hl7', destination: 'RIS', studyInstanceUid: '1', dedupeKey: 'm1', payload: 'MSH|' }, T)).id;
      // Another session holds the head's row lock, so the in-order claim below waits inside the server...
      const holder = pool(name, silentLogger, 1);
      const watcher = pool(name, silentLogger, 1);
      const lockClient = await holder.connect();
      lockClient.on('error', () => undefined); // its session is terminated by the restart: expected
      await lockClient.query('BEGIN');
      await lockClient.query('SELECT id FROM outbox WHERE id = $1 FOR UPDATE', [head]);
      const inFlight = q.claim({ partition: 'RIS', owner: 'node-a', leaseMs: 60_000, limit: 1, nowMs: T, inOrder: true }).then(
        () => undefined,
        (err: unknown) => err,
      );
      await waitFor('the claim waiting on the row lock', async () => {
        const r = await watcher.query<{ n: number }>(`SELECT COUNT(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = $1`, [name]);
        return r.rows[0]?.n === 1;
      });
      // ...when the server restarts (pg_ctl -m fast: every session is terminated). The waiting session first, so
      // it cannot be handed the lock (and finish) in the instant between the holder's end and its own.
      await watcher.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = $1`, [name]);
      await pgs.cluster().restart();
      lockClient.release(true);
      const err = await inFlight;
      expect(err, 'the in-flight claim rejects').to.be.instanceOf(GatewayError);
      expect((err as GatewayError).code).to.equal('GW_ERR_DATABASE_FAILED');
      expect((err as GatewayError).message).to.match(/^PostgreSQL claim on outbox failed: /);
      expect((err as GatewayError).context).to.include({ engine: 'postgresql', operation: 'claim', table: 'outbox' });
      // Its session was ended by the server: whether a write in it committed is unknown to the caller.
      expect((err as GatewayError).context.outcome).to.equal('unknown');
      // The pool drops its dead connections and opens new ones: the next calls just work.
      const claimed = await waitFor('the queue answering again', async () => q.claim({ partition: 'RIS', owner: 'node-a', leaseMs: 60_000, limit: 1, nowMs: T, inOrder: true }).catch(() => undefined));
      expect(claimed.map((i) => i.id)).to.deep.equal([head]);
      expect(await q.complete(head, 'node-a', T + 1)).to.equal(true);
      expect(lines.lines.filter((l) => l.level === 'warn').map((l) => l.message)).to.satisfy((m: string[]) => m.every((s) => s.startsWith('idle PostgreSQL connection lost')));
    });

    it('a call to a server that cannot be reached fails with a typed error instead of hanging', async () => {
      const unreachable = openPgPool({ connectionString: 'postgres://postgres@127.0.0.1:1/gw', log: silentLogger, connectTimeoutMs: 2_000 });
      let err: unknown;
      await new PgJobQueue(unreachable).nextDueMs(JobKind.AnalyzeStudy).catch((e: unknown) => (err = e));
      await unreachable.end();
      expect((err as GatewayError).code).to.equal('GW_ERR_DATABASE_FAILED');
      expect((err as GatewayError).message).to.match(/^PostgreSQL next due on jobs failed: .*ECONNREFUSED/);
      expect((err as GatewayError).context.outcome, 'a refused connect wrote nothing').to.equal(undefined);
    });
  });
});
