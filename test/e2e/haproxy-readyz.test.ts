/**
 * Two gateway daemons (SQLite, each its own dataDir) behind HAProxy with the health check docs/scale-out.md §4
 * recommends: /readyz on each node's HTTP port. A node that cannot take work (here: free space below
 * storage.minFreeBytes, so /readyz says 503) is DOWN for the /readyz check while a bare TCP check on the same port
 * calls it UP; every association then goes to the ready node.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { dcmsend } from '../helpers/dcmtk.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { REPO_ROOT, listFiles, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requireHaproxy, startHaproxy, type Haproxy } from '../helpers/haproxy.js';
import { requirePeers } from '../helpers/peers.js';

const SAMPLES = Array.from({ length: 4 }, (_, i) => join(REPO_ROOT, 'sample-dicom/DEMO002-negative', `CT${String(i + 1).padStart(4, '0')}.dcm`));

describe('e2e: gateway nodes behind HAProxy, checked on /readyz', function () {
  this.timeout(60_000);
  let proxy: Haproxy | undefined;
  const nodes: DaemonProcess[] = [];
  const dataDirs = [tempDir('pag-hap-gw1-'), tempDir('pag-hap-gw2-')];

  before(async function () {
    requireHaproxy(this);
    requirePeers(this, 'dcmsend');
    const base = { dicom: { port: 0, studyQuietSeconds: 3600 }, http: { port: 0 }, models: [], log: { level: 'info' } };
    nodes.push(await startDaemon({ ...base, dataDir: dataDirs[0], storage: { minFreeBytes: 0 } }));
    // below its disk watermark from the start: alive (/healthz 200), not ready (/readyz 503)
    nodes.push(await startDaemon({ ...base, dataDir: dataDirs[1], storage: { minFreeBytes: Number.MAX_SAFE_INTEGER } }));
    const servers = nodes.map((n, i) => ({ name: `gw${i + 1}`, port: n.dicomPort, checkPort: n.httpPort }));
    proxy = await startHaproxy({
      frontends: [
        { name: 'dicom', httpCheck: '/readyz', servers },
        // the same servers with a bare TCP check on the DICOM port, for contrast
        { name: 'dicom_tcp', servers: servers.map(({ name, port }) => ({ name, port })) },
      ],
    });
  });
  after(async () => {
    await proxy?.stop();
    for (const n of nodes) {
      n.child.kill('SIGTERM');
      await n.exited;
    }
    runCleanups();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(`HAProxy log:\n${proxy?.logTail()}\n${nodes.map((n) => n.output().slice(-2000)).join('\n')}`);
  });

  it('the node that is not ready is DOWN on /readyz and UP on a TCP check', async () => {
    const p = proxy as Haproxy;
    const state = async (frontend: string): Promise<string[]> => (await p.servers(frontend)).map((s) => s.status);
    await waitFor('gw1 UP, gw2 DOWN on /readyz', async () => JSON.stringify(await state('dicom')) === '["UP","DOWN"]', 10_000);
    await waitFor('both UP on a TCP check', async () => JSON.stringify(await state('dicom_tcp')) === '["UP","UP"]', 10_000);
    expect((await fetch(`http://127.0.0.1:${nodes[1]?.httpPort}/readyz`)).status).to.equal(503);
  });

  it('every association through the /readyz frontend is stored by the ready node', async () => {
    const p = proxy as Haproxy;
    for (const f of SAMPLES) {
      const r = await dcmsend(p.port('dicom'), [f]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    }
    const spooled = (dir: string | undefined): number => listFiles(join(dir as string, 'spool')).filter((f) => f.endsWith('.dcm')).length;
    expect([spooled(dataDirs[0]), spooled(dataDirs[1])]).to.deep.equal([4, 0]);
    // through the TCP-checked frontend, round robin hands the unready node every other association, which it refuses
    const viaTcpCheck = [await dcmsend(p.port('dicom_tcp'), [SAMPLES[0] as string]), await dcmsend(p.port('dicom_tcp'), [SAMPLES[1] as string])];
    expect(viaTcpCheck.map((r) => r.code === 0).sort()).to.deep.equal([false, true]);
  });
});
