/**
 * bench:cluster — what PostgreSQL and HAProxy cost and what a second node gives, in one run:
 *  (a) Orthanc with its PostgreSQL index plugin (files on the filesystem, like the gateway), and Orthanc on its
 *      default SQLite index as the reference line: ingest of the 500-CT set over 4 storescu associations;
 *  (b) the gateway on SQLite, one node, direct: the same ingest, and HL7 (ORU^R01 over 8 MLLP connections, each
 *      message ACKed after its commit, as bench:hl7 sends it); then the same node behind HAProxy, which is what
 *      the proxy costs on its own and the line (c) is compared with;
 *  (c) the gateway on PostgreSQL (`database.url`), one node behind HAProxy, then two nodes behind HAProxy (one
 *      database, one dataDir, two `cluster.nodeName`s, their own ports), the same ingest and HL7 through HAProxy.
 * Every repetition starts fresh receivers (new folders, a new database), so the same 500 instances are new each
 * time. Prints images/s and messages/s per scenario (median of --reps, default 3) and the ratios.
 * Usage: npm run bench:cluster [-- --reps N] [-- --scenarios a,b,c]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { echoscu } from '../test/helpers/dcmtk.js';
import { MAIN } from '../test/helpers/daemon.js';
import { freePort, listFiles, runCleanups, tempDir, waitFor } from '../test/helpers/fixtures.js';
import { startHaproxy, type Haproxy } from '../test/helpers/haproxy.js';
import { startOrthanc } from '../test/helpers/orthanc.js';
import { PostgresCluster } from '../test/helpers/postgres.js';
import { ctDataset, median, mllpBlast, oruMessage, storescuParallel } from './load.js';

const COUNT = 500;
const ASSOCS = 4;
const MESSAGES = 2000;
const CONNECTIONS = 8;
const ORTHANC_PG_INDEX = '/usr/share/orthanc/plugins/libOrthancPostgreSQLIndex.so';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const REPS = Number(arg('--reps') ?? 3);
const SCENARIOS = new Set((arg('--scenarios') ?? 'a,b,c').split(','));

interface Row {
  scenario: string;
  images: number[];
  messages: number[];
  /** Why the scenario did not run (then images and messages are empty). */
  notRun?: string;
}

/** The config keys of issue 14 that (c) needs; a build without them refuses them by name (exit 2). */
class ClusterKeysRefused extends Error {}

// --- (a) Orthanc ----------------------------------------------------------------------------------------------

async function orthancIngest(files: string[], pg: { cluster: PostgresCluster } | undefined): Promise<number> {
  const extraConfig: Record<string, unknown> = {};
  if (pg !== undefined) {
    const database = await pg.cluster.createDatabase('orthanc');
    extraConfig.Plugins = [ORTHANC_PG_INDEX];
    // Orthanc book, "PostgreSQL plugins": the index in PostgreSQL, the files on the filesystem (EnableStorage off).
    extraConfig.PostgreSQL = { EnableIndex: true, EnableStorage: false, Host: '127.0.0.1', Port: pg.cluster.port, Database: database, Username: 'postgres', Password: '', Lock: false };
  }
  const orthanc = await startOrthanc({ aeTitle: 'ORTHANC', extraConfig, startTimeoutMs: 60_000 });
  try {
    const seconds = await storescuParallel(orthanc.dicomPort, orthanc.aeTitle, files, ASSOCS);
    const stats = await orthanc.getJson<{ CountInstances: number }>('/statistics');
    if (stats.CountInstances !== files.length) throw new Error(`Orthanc stored ${stats.CountInstances} of ${files.length}\n${orthanc.logTail()}`);
    return files.length / seconds;
  } finally {
    await orthanc.stop();
    rmSync(orthanc.dir, { recursive: true, force: true });
  }
}

// --- (b), (c) gateway nodes -----------------------------------------------------------------------------------

interface GatewayNode {
  name: string;
  dicomPort: number;
  httpPort: number;
  hl7Port: number;
  stop(): Promise<void>;
}

/** Starts a daemon on its own ports; resolves once it answers C-ECHO and /readyz says 200. */
async function startNode(name: string, dataDir: string, databaseUrl: string | undefined): Promise<GatewayNode> {
  const [dicomPort, httpPort, hl7Port] = [await freePort(), await freePort(), await freePort()];
  const config: Record<string, unknown> = {
    dataDir,
    // no analysis during the measurement: the study stays open
    dicom: { port: dicomPort, studyQuietSeconds: 3600 },
    http: { port: httpPort },
    hl7: { port: hl7Port, maxConnections: 64 },
    models: [],
    log: { level: 'warn' },
    storage: { minFreeBytes: 0 },
  };
  if (databaseUrl !== undefined) {
    config.database = { url: databaseUrl };
    config.cluster = { nodeName: name, roles: ['intake', 'analysis', 'delivery'] };
  }
  const cfg = join(tempDir('pag-bench-cfg-'), `${name}.yaml`);
  writeFileSync(cfg, JSON.stringify(config)); // JSON is YAML
  const proc: ChildProcess = spawn(process.execPath, [MAIN, 'start', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  try {
    await waitFor(
      `gateway node ${name} to answer C-ECHO and /readyz`,
      async () => {
        if (proc.exitCode !== null) {
          if (databaseUrl !== undefined && /^\s*(database|cluster)\b.*unknown key/m.test(output)) {
            throw new ClusterKeysRefused(`this build refuses the config keys database.url / cluster.nodeName (issue 14 has not landed here):\n${output.trim()}`);
          }
          throw new Error(`gateway node ${name} exited with ${proc.exitCode} while starting:\n${output}`);
        }
        if ((await echoscu(dicomPort)).code !== 0) return false;
        return (await fetch(`http://127.0.0.1:${httpPort}/readyz`).catch(() => undefined))?.ok === true;
      },
      60_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, dicomPort, httpPort, hl7Port, stop };
}

/** HAProxy in front of the nodes, as docs/scale-out.md §4 configures it: /readyz decides, leastconn for DICOM. */
async function proxyFor(nodes: GatewayNode[]): Promise<Haproxy> {
  const proxy = await startHaproxy({
    // a node busy with the load must not miss its checks: 1 s apart, 2 failures to be DOWN
    checkIntervalMs: 1000,
    frontends: [
      { name: 'dicom', balance: 'leastconn', httpCheck: '/readyz', servers: nodes.map((n) => ({ name: n.name, port: n.dicomPort, checkPort: n.httpPort })) },
      // roundrobin, not production's `balance source`: here every connection comes from one address
      { name: 'mllp', balance: 'roundrobin', httpCheck: '/readyz', servers: nodes.map((n) => ({ name: n.name, port: n.hl7Port, checkPort: n.httpPort })) },
    ],
  });
  await waitFor('every node UP in HAProxy', async () => (await proxy.servers('dicom')).every((s) => s.status === 'UP') && (await proxy.servers('mllp')).every((s) => s.status === 'UP'), 10_000);
  return proxy;
}

let messageOffset = 0;

/**
 * One repetition on fresh nodes: ingest of `files` over 4 associations (every instance must be in the spool),
 * then a warm-up of 400 messages and the measured HL7 run over 8 connections.
 */
async function gatewayRep(files: string[], nodeCount: number, behindProxy: boolean, pg: PostgresCluster | undefined): Promise<{ images: number; messages: number }> {
  const dir = tempDir('pag-bench-cluster-');
  const dataDir = join(dir, 'var');
  mkdirSync(dataDir, { recursive: true });
  const url = pg === undefined ? undefined : pg.url(await pg.createDatabase('gw'));
  const nodes: GatewayNode[] = [];
  let proxy: Haproxy | undefined;
  try {
    // one after another: the first migrates the database, the others find it current
    for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(`gw${i + 1}`, dataDir, url));
    proxy = behindProxy ? await proxyFor(nodes) : undefined;
    const first = nodes[0] as GatewayNode;
    const [dicomPort, hl7Port] = proxy === undefined ? [first.dicomPort, first.hl7Port] : [proxy.port('dicom'), proxy.port('mllp')];
    const seconds = await storescuParallel(dicomPort, 'AIGATEWAY', files, ASSOCS);
    const stored = listFiles(join(dataDir, 'spool')).filter((f) => f.endsWith('.dcm')).length;
    if (stored !== files.length) throw new Error(`the gateway stored ${stored} of ${files.length}`);
    await mllpBlast(hl7Port, 400, CONNECTIONS, (messageOffset += MESSAGES));
    const messages = await mllpBlast(hl7Port, MESSAGES, CONNECTIONS, (messageOffset += MESSAGES));
    return { images: files.length / seconds, messages };
  } finally {
    await proxy?.stop();
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- the run --------------------------------------------------------------------------------------------------

async function measure(scenario: string, rep: () => Promise<{ images?: number; messages?: number }>): Promise<Row> {
  const row: Row = { scenario, images: [], messages: [] };
  try {
    for (let i = 0; i < REPS; i++) {
      const r = await rep();
      if (r.images !== undefined) row.images.push(r.images);
      if (r.messages !== undefined) row.messages.push(r.messages);
      process.stderr.write(`  ${scenario}, rep ${i + 1}: ${r.images?.toFixed(0) ?? '—'} images/s, ${r.messages?.toFixed(0) ?? '—'} msgs/s\n`);
    }
  } catch (err) {
    row.images = [];
    row.messages = [];
    row.notRun = (err as Error).message;
    if (!(err instanceof ClusterKeysRefused)) console.error(`${scenario} failed:`, err);
  }
  return row;
}

async function main(): Promise<void> {
  const files = ctDataset(COUNT);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  console.log(
    `bench:cluster — ${files.length} CT instances (${(bytes / 1e6).toFixed(1)} MB) over ${ASSOCS} storescu associations; ${MESSAGES} ORU^R01 of ` +
      `${Buffer.byteLength(oruMessage(0))} bytes over ${CONNECTIONS} MLLP connections (after 400 not measured); median of ${REPS} repetitions, each on ` +
      `fresh receivers; node ${process.version}`,
  );
  console.log(
    `This machine has ${cpus().length} cores, shared by everything in a scenario (storescu, HAProxy, PostgreSQL, Orthanc or each gateway node): ` +
      'two nodes here compete for the same cores, so "2 nodes / 1 node" shows the cost of the second node and the proxy, not what two machines give.',
  );
  const pg = SCENARIOS.has('a') || SCENARIOS.has('c') ? await PostgresCluster.start() : undefined;
  const rows: Row[] = [];
  try {
    if (SCENARIOS.has('a')) {
      rows.push(await measure('(a) Orthanc, PostgreSQL index plugin, files on disk', async () => ({ images: await orthancIngest(files, { cluster: pg as PostgresCluster }) })));
      rows.push(await measure('(a) Orthanc, SQLite index (reference)', async () => ({ images: await orthancIngest(files, undefined) })));
    }
    if (SCENARIOS.has('b')) {
      rows.push(await measure('(b) gateway, SQLite, 1 node, direct', () => gatewayRep(files, 1, false, undefined)));
      // the same node behind HAProxy: what the proxy costs on its own, and the line (c) compares with
      rows.push(await measure('(b) gateway, SQLite, 1 node behind HAProxy', () => gatewayRep(files, 1, true, undefined)));
    }
    if (SCENARIOS.has('c')) {
      rows.push(await measure('(c) gateway, PostgreSQL, 1 node behind HAProxy', () => gatewayRep(files, 1, true, pg)));
      // The keys are refused by the first node already: no point trying two.
      const refused = rows.at(-1)?.notRun;
      rows.push(refused === undefined ? await measure('(c) gateway, PostgreSQL, 2 nodes behind HAProxy', () => gatewayRep(files, 2, true, pg)) : { scenario: '(c) gateway, PostgreSQL, 2 nodes behind HAProxy', images: [], messages: [], notRun: 'not tried: the 1-node scenario did not run' });
    }
  } finally {
    await pg?.stop();
    runCleanups();
  }

  const cell = (xs: number[]): string => (xs.length === 0 ? '—' : `${median(xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(', ')})`);
  console.log('\n| scenario | images/s: median (reps) | ACKed msgs/s: median (reps) |');
  console.log('| --- | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.notRun === undefined ? cell(r.images) : 'not run'} | ${r.notRun === undefined ? cell(r.messages) : 'not run'} |`);

  const get = (prefix: string, what: 'images' | 'messages'): number | undefined => {
    const r = rows.find((x) => x.scenario.startsWith(prefix) && x.notRun === undefined && x[what].length > 0);
    return r === undefined ? undefined : median(r[what]);
  };
  const ratio = (label: string, a: number | undefined, b: number | undefined): void => {
    console.log(`${label}: ${a === undefined || b === undefined ? 'n/a (a scenario did not run)' : `${(a / b).toFixed(2)}×`}`);
  };
  const [orthancPg, orthancSqlite] = [get('(a) Orthanc, PostgreSQL', 'images'), get('(a) Orthanc, SQLite', 'images')];
  const [gwSqlite, gwSqliteMsgs] = [get('(b) gateway, SQLite, 1 node, direct', 'images'), get('(b) gateway, SQLite, 1 node, direct', 'messages')];
  const [gwSqliteProxied, gwSqliteProxiedMsgs] = [get('(b) gateway, SQLite, 1 node behind', 'images'), get('(b) gateway, SQLite, 1 node behind', 'messages')];
  const [gwPg1, gwPg1Msgs] = [get('(c) gateway, PostgreSQL, 1 node', 'images'), get('(c) gateway, PostgreSQL, 1 node', 'messages')];
  const [gwPg2, gwPg2Msgs] = [get('(c) gateway, PostgreSQL, 2 nodes', 'images'), get('(c) gateway, PostgreSQL, 2 nodes', 'messages')];
  console.log('\nratios');
  ratio('gateway-PG (1 node) / Orthanc-PG, images/s', gwPg1, orthancPg);
  ratio('gateway-PG (1 node) / gateway-SQLite (both behind HAProxy), images/s', gwPg1, gwSqliteProxied);
  ratio('gateway-PG (1 node) / gateway-SQLite (both behind HAProxy), msgs/s', gwPg1Msgs, gwSqliteProxiedMsgs);
  ratio('2 nodes / 1 node (PostgreSQL, HAProxy), images/s', gwPg2, gwPg1);
  ratio('2 nodes / 1 node (PostgreSQL, HAProxy), msgs/s', gwPg2Msgs, gwPg1Msgs);
  ratio('gateway-SQLite / Orthanc-SQLite (both direct), images/s', gwSqlite, orthancSqlite);
  ratio('HAProxy in the path (gateway-SQLite behind HAProxy / direct), images/s', gwSqliteProxied, gwSqlite);
  ratio('HAProxy in the path (gateway-SQLite behind HAProxy / direct), msgs/s', gwSqliteProxiedMsgs, gwSqliteMsgs);
  ratio('Orthanc-PG / Orthanc-SQLite, images/s', orthancPg, orthancSqlite);
  const notRun = rows.filter((r) => r.notRun !== undefined);
  for (const r of notRun) console.log(`\n${r.scenario} did not run: ${r.notRun}`);
  if (notRun.length > 0) process.exitCode = 1;
}

await main();
