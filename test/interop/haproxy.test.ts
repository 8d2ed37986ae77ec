/**
 * HAProxy (TCP mode, test/helpers/haproxy.ts) in front of two DICOM nodes (DCMTK storescp) and two MLLP nodes:
 * associations and MLLP connections are spread over both, C-ECHO passes through, a killed node's connections are
 * redispatched before its health check fails and it is marked DOWN within the check time, after which new
 * associations go to the other node only; a node taken out on the runtime API gets nothing until it is put back.
 * What docs/scale-out.md §4 tells operators to rely on, shown with the real proxy.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { MllpClient } from '../../src/hl7/index.js';
import { silentLogger } from '../../src/log.js';
import { dcmsend, echoscu, startStorescp, type Storescp } from '../helpers/dcmtk.js';
import { REPO_ROOT, runCleanups, waitFor } from '../helpers/fixtures.js';
import { haproxyBin, requireHaproxy, startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { listenLocal, mllpFrame, readMllpFrames } from '../helpers/mllp-peer.js';
import { requirePeers, run } from '../helpers/peers.js';

const AE = 'CLUSTER';
const CHECK_MS = 500;
const SAMPLES = Array.from({ length: 16 }, (_, i) => join(REPO_ROOT, 'sample-dicom/DEMO001-nodule', `CT${String(i + 1).padStart(4, '0')}.dcm`));

const oru = (id: string): string => `MSH|^~\\&|RIS|HOSP|AIGW|RAD|20260101120000||ORU^R01|${id}|P|2.5\rPID|1||12345\rOBR|1|ACC-${id}|ACC-${id}|CT CHEST\rOBX|1|TX|REPORT||No nodule.||||||F\r`;
const ackFor = (id: string): string => `MSH|^~\\&|AIGW|RAD|RIS|HOSP|20260101||ACK^R01^ACK|R-${id}|P|2.5\rMSA|AA|${id}\r`;

/** An MLLP node: ACKs AA every frame, records each one's MSH-10. */
async function mllpNode(): Promise<{ server: Server; port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer((socket) => readMllpFrames(socket, received, (id) => socket.write(mllpFrame(ackFor(id)))));
  return { server, port: await listenLocal(server), received };
}

/**
 * One association per file, one after another (each a new TCP connection, so HAProxy balances each). dcmsend
 * proposes each file's own transfer syntax (the samples are RLE Lossless) and exits 0 only when it was stored.
 */
async function storeEach(port: number, files: string[]): Promise<void> {
  for (const f of files) {
    const r = await dcmsend(port, [f], { calledAe: AE });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  }
}

/** One MLLP connection per message; resolves with the ACK kinds. */
async function sendEach(port: number, ids: string[]): Promise<string[]> {
  const kinds: string[] = [];
  for (const id of ids) {
    const client = new MllpClient({ host: '127.0.0.1', port, connectTimeoutMs: 2000, ackTimeoutMs: 5000, keepAlive: false }, { log: silentLogger });
    kinds.push((await client.send(oru(id))).kind);
    await client.close();
  }
  return kinds;
}

const stored = (node: Storescp): number => readdirSync(node.dir).filter((f) => !f.startsWith('.')).length;

describe('interop: HAProxy in front of two nodes (TCP mode)', function () {
  this.timeout(30_000);
  let proxy: Haproxy;
  let a: Storescp;
  let b: Storescp;
  let m1: Awaited<ReturnType<typeof mllpNode>>;
  let m2: Awaited<ReturnType<typeof mllpNode>>;

  before(async function () {
    requireHaproxy(this);
    requirePeers(this, 'storescp', 'storescu', 'echoscu');
    [a, b, m1, m2] = [await startStorescp(AE), await startStorescp(AE), await mllpNode(), await mllpNode()];
    proxy = await startHaproxy({
      checkIntervalMs: CHECK_MS,
      frontends: [
        { name: 'dicom', servers: [a.port, b.port] },
        { name: 'mllp', servers: [m1.port, m2.port] },
      ],
    });
    await waitFor('both DICOM nodes UP', async () => (await proxy.servers('dicom')).every((s) => s.status === 'UP'), 5000);
  });
  after(async () => {
    await proxy?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    m1?.server.close();
    m2?.server.close();
    runCleanups();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(`HAProxy log:\n${proxy?.logTail()}`);
  });

  it('accepts the compose example\'s haproxy.cfg (haproxy -c)', async () => {
    const r = await run(haproxyBin() as string, ['-c', '-f', join(REPO_ROOT, 'deploy/cluster/haproxy.cfg')]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('passes C-ECHO through', async () => {
    const r = await echoscu(proxy.port('dicom'), { calledAe: AE });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  });

  it('spreads associations over both nodes; each stores what it was sent', async () => {
    const before = (await proxy.servers('dicom')).map((s) => s.total);
    await storeEach(proxy.port('dicom'), SAMPLES.slice(0, 6));
    const after = (await proxy.servers('dicom')).map((s) => s.total);
    // round robin: three of the six associations each
    expect(after.map((t, i) => t - (before[i] ?? 0))).to.deep.equal([3, 3]);
    expect([stored(a), stored(b)]).to.deep.equal([3, 3]);
  });

  it('a killed node: its connections are redispatched at once, it is DOWN within the check time, then skipped', async () => {
    // Health checks off for b first, so b still counts as UP when it dies: every association HAProxy hands it
    // is refused and retried on a, which shows `retries` + `option redispatch` on their own.
    expect((await proxy.command('disable health dicom/s2')).trim()).to.equal('');
    await b.stop();
    const aBefore = stored(a);
    await storeEach(proxy.port('dicom'), SAMPLES.slice(6, 10));
    expect(stored(a) - aBefore).to.equal(4);
    // still in the rotation ('no check': HAProxy has no reason to think it dead), and the tcplog's retries field
    // (`…/+1`: one retry, redispatched) shows the connections it was handed going to s1 instead
    expect(await proxy.status('dicom', 's2')).to.equal('no check');
    const redispatched = proxy.logTail(1000).split('\n').filter((l) => / dicom dicom\/s1 .*\/\+1 /.test(l));
    expect(redispatched.length, proxy.logTail()).to.be.at.least(2);

    expect((await proxy.command('enable health dicom/s2')).trim()).to.equal('');
    const t0 = Date.now();
    await waitFor('HAProxy to mark s2 DOWN', async () => (await proxy.status('dicom', 's2')) === 'DOWN', 4 * CHECK_MS + 2000);
    const detectMs = Date.now() - t0;
    expect(detectMs, `DOWN after ${detectMs} ms`).to.be.below(2 * CHECK_MS + 1500);

    const s2Before = (await proxy.servers('dicom')).find((s) => s.name === 's2')?.total;
    await storeEach(proxy.port('dicom'), SAMPLES.slice(10, 14));
    expect(stored(a) - aBefore).to.equal(8);
    expect((await proxy.servers('dicom')).find((s) => s.name === 's2')?.total, 'connections handed to the DOWN node').to.equal(s2Before);
    const echo = await echoscu(proxy.port('dicom'), { calledAe: AE });
    expect(echo.code).to.equal(0);
  });

  it('spreads MLLP connections over two listeners; a node in maintenance gets nothing until it is back', async () => {
    const kinds = await sendEach(proxy.port('mllp'), ['M1', 'M2', 'M3', 'M4']);
    expect(kinds).to.deep.equal(['accepted', 'accepted', 'accepted', 'accepted']);
    expect([m1.received.length, m2.received.length]).to.deep.equal([2, 2]);

    await proxy.disable('mllp', 's1');
    expect(await proxy.status('mllp', 's1')).to.equal('MAINT');
    expect(await sendEach(proxy.port('mllp'), ['M5', 'M6', 'M7'])).to.deep.equal(['accepted', 'accepted', 'accepted']);
    expect(m2.received.slice(-3)).to.deep.equal(['M5', 'M6', 'M7']);
    expect(m1.received).to.have.length(2);

    await proxy.enable('mllp', 's1');
    await waitFor('s1 UP again', async () => (await proxy.status('mllp', 's1')) === 'UP', 4 * CHECK_MS + 2000);
    await sendEach(proxy.port('mllp'), ['M8', 'M9']);
    expect(m1.received.length).to.be.greaterThan(2);
    expect([...m1.received, ...m2.received].sort()).to.deep.equal(['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7', 'M8', 'M9']);
  });
});
