/**
 * Housekeeping in the running gateway: retention purges a delivered study (files gone, purgedAt in /api/studies),
 * and an instance received afterwards re-opens it, which is analysed and delivered again; the disk watermark
 * refuses associations and /readyz says why.
 */
import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dcmsend, echoscu, startStorescp, type Storescp } from '../helpers/dcmtk.js';
import { REPO_ROOT, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers } from '../helpers/peers.js';

interface Study { studyInstanceUid: string; status: string; instanceCount: number; purgedAt: string | null; deliveries: Array<{ state: string }> }

describe('e2e: housekeeping', function () {
  this.timeout(180_000);
  let scp: Storescp | undefined;
  let gw: TestGateway | undefined;
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
  });
  after(async () => {
    await scp?.stop();
    runCleanups();
  });

  it('retention purges a delivered study; a late instance re-opens it and it is analysed and delivered again', async function () {
    requirePeers(this, 'storescp', 'dcmsend');
    scp = await startStorescp('RESULTS');
    gw = await startGateway({
      dicom: { destinations: [{ name: 'pacs', aeTitle: 'RESULTS', host: '127.0.0.1', port: scp.port }] },
      housekeeping: { retention: { maxAgeDays: 1e-9 } }, // anything quiet for more than ~0.1 ms
    });
    const g = gw;
    const dir = join(REPO_ROOT, 'sample-dicom/DEMO001-nodule');
    const files = readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f));
    expect((await dcmsend(g.dicomPort, files)).code).to.equal(0);
    const studies = async (): Promise<Study[]> => (await g.getJson<Study[]>('/api/studies')).body;
    const delivered = await waitFor('the study to be analysed and its SR delivered', async () => (await studies()).find((s) => s.status === 'delivered'), 90_000);
    const studyDir = join(g.dataDir, 'spool', delivered.studyInstanceUid);
    expect(readdirSync(studyDir)).to.have.length(files.length);

    const outcome = await g.gateway.runHousekeeping('retention');
    expect(outcome).to.deep.include({ kind: 'done' });
    expect(outcome.kind === 'done' ? outcome.fields : undefined).to.include({ purgedStudies: 1, purgedInstances: files.length });
    const purged = (await studies())[0] as Study;
    expect(purged.purgedAt).to.be.a('string');
    expect(purged.instanceCount).to.equal(0);
    expect(purged.deliveries.map((d) => d.state)).to.deep.equal(['delivered']); // the record stays
    expect(existsSync(studyDir)).to.equal(false);
    expect(existsSync(join(g.dataDir, 'spool', 'results', delivered.studyInstanceUid))).to.equal(false);

    // A late instance: received into a fresh folder, the study re-opens, is analysed on what it now holds, delivered.
    expect((await dcmsend(g.dicomPort, [files[0] as string])).code).to.equal(0);
    const again = await waitFor('the re-opened study to be delivered again', async () => {
      const s = (await studies())[0];
      return s !== undefined && s.instanceCount === 1 && s.status === 'delivered' ? s : undefined;
    }, 90_000);
    expect(again.purgedAt).to.equal(purged.purgedAt);
    expect(readdirSync(studyDir)).to.have.length(1);
    // Delivered again, so the next run may purge it once more; the counts add up in the study row.
    const second = await g.gateway.runHousekeeping('retention');
    expect(second.kind === 'done' ? second.fields : undefined).to.include({ purgedStudies: 1, purgedInstances: 1 });
  });

  it('below storage.minFreeBytes: associations are refused and /readyz says why; other jobs run on demand', async function () {
    requirePeers(this, 'echoscu');
    gw = await startGateway({ storage: { minFreeBytes: Number.MAX_SAFE_INTEGER }, models: [] });
    const r = await echoscu(gw.dicomPort);
    expect(r.code).to.not.equal(0);
    expect(r.stdout + r.stderr).to.match(/reject/i);
    const ready = await gw.getJson<{ ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> }>('/readyz');
    expect(ready.status).to.equal(503);
    expect(ready.body.checks.disk?.detail).to.match(/below storage\.minFreeBytes/);
    expect((await gw.getJson('/healthz')).status).to.equal(200); // low disk is not a liveness failure
    expect((await gw.gateway.runHousekeeping('db-maintenance')).kind).to.equal('done');
    expect(await gw.gateway.runHousekeeping('outbox-sweep')).to.deep.equal({ kind: 'done', fields: undefined });
  });
});
