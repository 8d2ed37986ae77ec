/**
 * Issue 14, "Must show": gateway nodes as real processes on one PostgreSQL 15 and one shared spool, behind Debian's
 * HAProxy in TCP mode, with Orthanc as the PACS. Nodes are killed with SIGKILL mid-ingest, mid-analysis and
 * mid-delivery, and PostgreSQL is taken away under traffic; what was acknowledged is never lost and nothing is
 * done twice.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { readFileMeta } from '../../src/dicom/index.js';
import { generateCtSeries, storeResponses, storescu } from '../helpers/dcmtk.js';
import { runCleanups, waitFor } from '../helpers/fixtures.js';
import { GatewayCluster, srsPerStudy } from '../helpers/gateway-cluster.js';
import { requireHaproxy } from '../helpers/haproxy.js';
import { sendAndTime } from '../helpers/hl7-hostile.js';
import { startOrthanc, type Orthanc } from '../helpers/orthanc.js';
import { requirePeers, run } from '../helpers/peers.js';
import { PostgresCluster, requirePostgres } from '../helpers/postgres.js';

/** A radiology report, as the RIS sends it. */
const ORU = [
  'MSH|^~\\&|RIS|HOSP|AIGW|HOSP|20261206120000||ORU^R01|CLUSTER0001|P|2.5.1',
  'PID|1||CL-PID^^^HOSP||CLUSTER^PATIENT',
  'OBR|1|CLACC1|CLACC1|71250^CT CHEST^CPT|||20261206110000|||||||||||||||20261206120000|||F',
  'OBX|1|TX|59776-5^Procedure Findings^LN||There is an 8 mm nodule in the right upper lobe.||||||F',
].join('\r');

/** SHA-256 of a Part-10 file's dataset: the gateway writes its own meta header (naming the sender), never the dataset. */
function sha(path: string): string {
  const bytes = readFileSync(path);
  const read = readFileMeta(bytes, bytes.length);
  if (read.kind === 'invalid') throw new Error(`${path}: ${read.detail}`);
  return createHash('sha256').update(bytes.subarray(read.meta.datasetOffset)).digest('hex');
}

/** Study Instance UID of a file (dcmdump). */
async function studyUidOf(file: string): Promise<string> {
  const r = await run('dcmdump', ['+P', '0020,000d', file]);
  const m = /\[([0-9.]+)\]/.exec(r.stdout);
  if (m === null) throw new Error(`no Study Instance UID in ${file}`);
  return m[1] as string;
}

/** Sends files over `associations` parallel storescu runs to `port`; the storescu results. */
async function sendParallel(port: number, files: string[], associations: number): Promise<Array<{ files: string[]; code: number | null; statuses: string[] }>> {
  const chunks = Array.from({ length: associations }, (_, i) => files.filter((_, k) => k % associations === i));
  return Promise.all(
    chunks.map(async (chunk) => {
      const r = await storescu(port, chunk);
      return { files: chunk, code: r.code, statuses: storeResponses(r.stdout + r.stderr) };
    }),
  );
}

/**
 * A TCP relay that holds each chunk from the client `delayMs` before passing it on: a slow PACS link, so a test can
 * catch a delivery in flight.
 */
async function slowRelay(targetPort: number, delayMs: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client).add(upstream);
    client.on('data', (d) => setTimeout(() => upstream.write(d), delayMs));
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('e2e: a cluster of gateway nodes on PostgreSQL behind HAProxy', function () {
  this.timeout(300_000);
  let pgc: PostgresCluster | undefined;
  let orthanc: Orthanc | undefined;
  let cluster: GatewayCluster | undefined;
  const studies: string[][] = [];

  before(async function () {
    requirePostgres(this);
    requireHaproxy(this);
    requirePeers(this, 'storescu', 'dcmdump', 'Orthanc');
    pgc = await PostgresCluster.start();
    orthanc = await startOrthanc();
    for (const seed of [141, 142, 143]) studies.push(await generateCtSeries(60, seed));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster !== undefined) console.log(cluster.logs(40));
    await cluster?.stop();
    cluster = undefined;
    // Each test counts the SRs it made: the PACS starts empty.
    for (const id of await (orthanc as Orthanc).getJson<string[]>('/studies')) await fetch((orthanc as Orthanc).url(`/studies/${id}`), { method: 'DELETE' });
  });

  after(async () => {
    await orthanc?.stop();
    await pgc?.stop();
    runCleanups();
  });

  async function startCluster(names: string[], extra: Partial<Parameters<typeof GatewayCluster.start>[0]> = {}): Promise<GatewayCluster> {
    const database = await (pgc as PostgresCluster).createDatabase('cluster');
    cluster = await GatewayCluster.start({ pg: pgc as PostgresCluster, database, nodes: names.map((name) => ({ name })), pacs: orthanc, haproxy: true, ...extra });
    return cluster;
  }

  /** Each study: complete, analysed once (one done job, one result row, one revision), one SR in Orthanc. */
  async function expectAnalysedOnce(c: GatewayCluster, studyUids: string[]): Promise<void> {
    await waitFor(
      'every study analysed and its SR in Orthanc',
      async () => {
        const srs = await srsPerStudy(orthanc as Orthanc);
        return studyUids.every((u) => (srs[u]?.length ?? 0) >= 1);
      },
      120_000,
    );
    const jobs = await c.analysisJobs();
    for (const uid of studyUids) expect(jobs.filter((j) => j.study === uid), `jobs of ${uid}`).to.deep.equal([{ study: uid, state: 'done', n: 1 }]);
    const results = await c.query<{ study: string; n: number }>('SELECT study_instance_uid AS study, COUNT(*)::int AS n FROM analysis_results GROUP BY 1');
    const revisions = await c.query<{ study: string; n: number }>('SELECT study_instance_uid AS study, COUNT(*)::int AS n FROM result_revisions GROUP BY 1');
    const srs = await srsPerStudy(orthanc as Orthanc);
    for (const uid of studyUids) {
      expect(results.find((r) => r.study === uid)?.n, `result rows of ${uid}`).to.equal(1);
      expect(revisions.find((r) => r.study === uid)?.n, `SR revisions of ${uid}`).to.equal(1);
      expect(srs[uid]?.length, `SRs in Orthanc for ${uid}`).to.equal(1);
    }
  }

  /** Every file is indexed once and its spool copy is byte-identical to what was sent. */
  async function expectStoredIntact(c: GatewayCluster, files: string[]): Promise<void> {
    const rows = await c.query<{ sop: string; path: string }>('SELECT sop_instance_uid AS sop, path FROM instances');
    const bySha = new Map<string, number>();
    for (const r of rows) {
      const h = sha(join(c.dataDir, 'spool', r.path));
      bySha.set(h, (bySha.get(h) ?? 0) + 1);
    }
    for (const f of files) expect(bySha.get(sha(f)), `spool copy of ${f} (dataset bytes)`).to.equal(1);
  }

  it('shares the load: 3 studies × 60 instances over 4 associations through HAProxy; both nodes store, each study is analysed once, one SR each in Orthanc', async () => {
    const c = await startCluster(['gw-a', 'gw-b']);
    const files = studies.flat();
    const sent = await sendParallel(c.haproxy?.port('dicom') ?? 0, files, 4);
    expect(sent.map((s) => s.code)).to.deep.equal([0, 0, 0, 0]);
    expect(sent.flatMap((s) => s.statuses).filter((s) => s !== 'Success')).to.deep.equal([]);
    const byNode = await c.instancesByNode();
    expect(Object.keys(byNode).sort()).to.deep.equal(['gw-a', 'gw-b']);
    expect(Object.values(byNode).reduce((a, b) => a + b, 0)).to.equal(180);
    await expectStoredIntact(c, files);
    await expectAnalysedOnce(c, await Promise.all(studies.map((s) => studyUidOf(s[0] as string))));
  });

  it('kill -9 of a node mid-ingest: the sender retries through HAProxy; every instance indexed once and intact, each study analysed once', async () => {
    const c = await startCluster(['gw-a', 'gw-b']);
    const files = studies.flat();
    const port = c.haproxy?.port('dicom') ?? 0;
    const sending = sendParallel(port, files, 4);
    // Early in the transfer, so both of gw-a's associations are cut mid-way (each carries 45 files).
    await waitFor('instances arriving on gw-a', async () => ((await c.instancesByNode())['gw-a'] ?? 0) >= 5, 60_000);
    await c.node('gw-a').kill();
    const first = await sending;
    const failed = first.filter((s) => s.code !== 0 || s.statuses.length < s.files.length || s.statuses.some((x) => x !== 'Success'));
    expect(failed.length, 'associations cut by the kill').to.be.above(0);
    await waitFor('HAProxy to mark gw-a DOWN', async () => (await c.haproxy?.status('dicom', 'gw-a'))?.startsWith('DOWN'), 10_000);
    // The sender's retry: the failed associations' files again, through the same address.
    const retry = await sendParallel(port, failed.flatMap((s) => s.files), 2);
    expect(retry.flatMap((s) => s.statuses).filter((s) => s !== 'Success')).to.deep.equal([]);
    const count = await c.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM instances');
    expect(count[0]?.n).to.equal(180);
    await expectStoredIntact(c, files);
    await expectAnalysedOnce(c, await Promise.all(studies.map((s) => studyUidOf(s[0] as string))));
  });

  it('kill -9 mid-analysis: the other node takes the job over when the lease expires; one result, one SR', async () => {
    const c = await startCluster(['gw-a', 'gw-b']);
    const files = studies[0] as string[];
    const study = await studyUidOf(files[0] as string);
    const r = await storescu(c.node('gw-b').dicomPort, files);
    expect(storeResponses(r.stdout).filter((s) => s !== 'Success')).to.deep.equal([]);
    const owner = await waitFor(
      'the analysis to be claimed',
      async () => (await c.query<{ lease_owner: string }>(`SELECT lease_owner FROM jobs WHERE kind = 'analyze-study' AND state = 'running'`))[0]?.lease_owner,
      30_000,
    );
    await c.node(owner).kill();
    const t0 = Date.now();
    await expectAnalysedOnce(c, [study]);
    const [done] = await c.query<{ lease_owner: string | null; attempts: number }>(`SELECT lease_owner, attempts FROM jobs WHERE kind = 'analyze-study'`);
    expect(done?.attempts, 'claimed twice: by the killed node, then by the survivor').to.equal(2);
    expect(Date.now() - t0, 'taken over after the 10 s lease, not before').to.be.above(5_000);
  });

  it('kill -9 mid-delivery: the SR send in flight is redone by the other node after the lease; Orthanc holds one SR', async () => {
    const relay = await slowRelay((orthanc as Orthanc).dicomPort, 1_500);
    try {
      const c = await startCluster(['gw-a', 'gw-b'], { pacsPort: relay.port });
      const files = studies[1] as string[];
      const study = await studyUidOf(files[0] as string);
      const r = await storescu(c.node('gw-a').dicomPort, files);
      expect(storeResponses(r.stdout).filter((s) => s !== 'Success')).to.deep.equal([]);
      const owner = await waitFor(
        'the SR delivery to be in flight',
        async () => (await c.query<{ lease_owner: string }>(`SELECT lease_owner FROM outbox WHERE state = 'sending'`))[0]?.lease_owner,
        60_000,
      );
      await c.node(owner).kill();
      await waitFor('the delivery redone by the survivor', async () => (await c.query<{ state: string }>('SELECT state FROM outbox'))[0]?.state === 'delivered', 60_000);
      const [row] = await c.query<{ attempts: number; lease_owner: string | null }>('SELECT attempts, lease_owner FROM outbox');
      expect(row?.attempts, 'the killed node, then the survivor').to.equal(2);
      await expectAnalysedOnce(c, [study]);
    } finally {
      await relay.close();
    }
  });

  it('PostgreSQL down for 10 s while instances arrive: no Success without a commit (A702 meanwhile); the nodes recover by themselves', async () => {
    const c = await startCluster(['gw-a', 'gw-b'], { haproxy: false });
    const files = studies[0] as string[];
    const outcomes: Array<{ file: string; status: string }> = [];
    let stop = false;
    const sender = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const file = files[i % files.length] as string;
        const r = await storescu(c.nodes[i % 2]?.dicomPort ?? 0, [file]);
        outcomes.push({ file, status: storeResponses(r.stdout + r.stderr)[0] ?? `no response (exit ${r.code})` });
      }
    })();
    await waitFor('a few instances stored', () => outcomes.filter((o) => o.status === 'Success').length >= 5, 30_000);
    await (pgc as PostgresCluster).stopServer();
    const downAt = outcomes.length;
    const t0 = Date.now();
    // Meanwhile: not ready (HAProxy would take the node out), and an HL7 report is refused with AE, not ACKed.
    const node = c.nodes[0] as (typeof c.nodes)[number];
    await waitFor('/readyz to say the database is away', async () => (await fetch(`http://127.0.0.1:${node.httpPort}/readyz`)).status === 503, 8_000);
    const refused = await sendAndTime(node.hl7Port, ORU.replace('CLUSTER0001', 'OUTAGE0001'));
    expect(refused.ack.code, refused.ack.text).to.equal('AE');
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (Date.now() - t0))));
    await (pgc as PostgresCluster).startServer();
    const upAt = outcomes.length;
    // The nodes find the server again on their own: ready, and storing.
    for (const n of c.nodes) await waitFor(`${n.name} ready again`, async () => (await fetch(`http://127.0.0.1:${n.httpPort}/readyz`)).status === 200, 30_000);
    await waitFor('instances stored again', () => outcomes.slice(upAt).filter((o) => o.status === 'Success').length >= 5, 30_000);
    expect((await sendAndTime(node.hl7Port, ORU.replace('CLUSTER0001', 'OUTAGE0001'))).ack.code, 'the refused report, sent again').to.equal('AA');
    stop = true;
    await sender;
    const during = outcomes.slice(downAt, upAt);
    expect(during.length, 'instances sent while the server was away').to.be.above(3);
    expect(during.filter((o) => o.status !== 'Success').length, 'refused while away').to.be.above(0);
    expect(during.some((o) => /Out ?of ?Resources|A702/i.test(o.status)), during.map((o) => o.status).join(', ')).to.equal(true);
    const acknowledged = [...new Set(outcomes.filter((o) => o.status === 'Success').map((o) => o.file))];
    await expectStoredIntact(c, acknowledged);
  });

  it('one study split across nodes (series 1 through gw-a, series 2 through gw-b): one completion, one analysis', async () => {
    const c = await startCluster(['gw-a', 'gw-b']);
    const files = studies[2] as string[];
    const series2 = files.slice(30);
    for (const f of series2) {
      const m = await run('dcmodify', ['-nb', '-m', 'SeriesInstanceUID=2.25.777000111222333444555666777888999', '-m', 'SeriesNumber=2', f]);
      if (m.code !== 0) throw new Error(m.stderr);
    }
    const [a, b] = await Promise.all([storescu(c.node('gw-a').dicomPort, files.slice(0, 30)), storescu(c.node('gw-b').dicomPort, series2)]);
    expect([...storeResponses(a.stdout), ...storeResponses(b.stdout)].filter((s) => s !== 'Success')).to.have.length(0);
    expect(await c.instancesByNode()).to.deep.equal({ 'gw-a': 30, 'gw-b': 30 });
    const study = await studyUidOf(files[0] as string);
    await expectAnalysedOnce(c, [study]);
    const [row] = await c.query<{ status: string }>('SELECT status FROM studies WHERE study_instance_uid = $1', [study]);
    expect(row?.status).to.equal('complete');
  });

  it('the same HL7 message through both nodes at once: ACK AA to both, one stored report, one processing', async () => {
    const c = await startCluster(['gw-a', 'gw-b'], { haproxy: false });

    const acks = await Promise.all(c.nodes.map((n) => sendAndTime(n.hl7Port, ORU)));
    expect(acks.map((x) => x.ack.code)).to.deep.equal(['AA', 'AA']);
    const rows = await c.query<{ id: number; times_received: number }>('SELECT id, times_received FROM hl7_messages');
    expect(rows.map((r) => r.times_received)).to.deep.equal([2]);
    const jobs = await c.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM jobs WHERE kind = 'process-report'`);
    expect(jobs[0]?.n).to.equal(1);
    await waitFor('the report processed once', async () => (await c.query<{ state: string }>('SELECT state FROM hl7_messages'))[0]?.state === 'processed', 30_000);
  });
});
