/**
 * bench:queue — outbox items/s through the Queue seam, each one enqueued, claimed (with a lease) and completed, on
 * the embedded SQLite engine (WAL, synchronous=FULL) and on PostgreSQL (a throwaway local cluster, fsync=on,
 * test/helpers/postgres.ts), same machine, same run: one worker, then 8 concurrent workers (on PostgreSQL, 8
 * connections; on SQLite the calls still run one at a time). Median of several rounds after a warm-up; the last
 * column is PostgreSQL / SQLite.
 * Usage: npm run bench:queue [-- --rounds N --items N]
 */
import { join } from 'node:path';
import { openDatabase, SqliteOutboxQueue, type NewOutboxItem, type OutboxItem } from '../src/db/index.js';
import { migratePg } from '../src/db/pg/migrate.js';
import { PgOutboxQueue } from '../src/db/pg/pg-outbox-queue.js';
import { openPgPool } from '../src/db/pg/pool.js';
import { silentLogger } from '../src/log.js';
import type { Queue } from '../src/queue/index.js';
import { runCleanups, tempDir } from '../test/helpers/fixtures.js';
import { PostgresCluster } from '../test/helpers/postgres.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 3);
const ITEMS = arg('items', 1000);

type OutboxQueue = Queue<OutboxItem, NewOutboxItem>;
let seq = 0;

/** `items` items through `workers` concurrent loops of enqueue → claim → complete; answers items/s. */
async function round(queue: OutboxQueue, items: number, workers: number): Promise<number> {
  const started = performance.now();
  let left = items;
  const loop = async (w: number) => {
    const owner = `bench-${w}`;
    const partition = `PACS-${w}`; // one destination per worker: a claim finds its own item, as per-destination workers do
    while (left-- > 0) {
      const now = Date.now();
      const key = `k${++seq}`;
      await queue.enqueue({ kind: 'dicom', destination: partition, studyInstanceUid: '1.2.3', dedupeKey: key, payload: `results/${key}.dcm` }, now);
      const [item] = await queue.claim({ partition, owner, leaseMs: 60_000, limit: 1, nowMs: now });
      if (item === undefined || !(await queue.complete(item.id, owner, now))) throw new Error(`bench: ${key} was not claimed and completed`);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_v, w) => loop(w)));
  return items / ((performance.now() - started) / 1000);
}

async function measure(queue: OutboxQueue, workers: number): Promise<{ median: number; all: number[] }> {
  await round(queue, Math.min(200, ITEMS), workers); // warm-up: statement plans, connections, page cache
  const all: number[] = [];
  for (let r = 0; r < ROUNDS; r++) all.push(await round(queue, ITEMS, workers));
  const sorted = [...all].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] as number, all };
}

async function main(): Promise<void> {
  console.log(`bench:queue — ${ITEMS} outbox items per round (enqueue + claim + complete, each its own commit), ${ROUNDS} rounds after a warm-up, node ${process.version}`);
  const sqlite = new SqliteOutboxQueue(openDatabase(join(tempDir(), 'bench.sqlite')));
  const cluster = await PostgresCluster.start();
  const pool = openPgPool({ connectionString: cluster.url(await cluster.createDatabase('bench')), log: silentLogger, max: 8 });
  try {
    await migratePg(pool, { node: 'bench' });
    const pg = new PgOutboxQueue(pool);
    console.log('\n| workers | SQLite items/s: median (rounds) | PostgreSQL items/s: median (rounds) | PostgreSQL / SQLite |');
    console.log('| --- | --- | --- | --- |');
    for (const workers of [1, 8]) {
      const s = await measure(sqlite, workers);
      const p = await measure(pg, workers);
      const cell = (m: { median: number; all: number[] }) => `${m.median.toFixed(0)} (${m.all.map((v) => v.toFixed(0)).join(', ')})`;
      console.log(`| ${workers} | ${cell(s)} | ${cell(p)} | ${(p.median / s.median).toFixed(2)}× |`);
    }
  } finally {
    await pool.end();
    await cluster.stop();
    runCleanups();
  }
}

await main();
