/**
 * The image AI through the whole daemon: the shipped sample studies sent over DICOM are analysed by the
 * demo model, the nodule study flagged and the negative one not; every SR the gateway writes passes dciodvfy
 * with zero errors and references instances of its source study.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFindingsSr } from '../../src/results/sr/sr-document.js';
import { dcmsend } from '../helpers/dcmtk.js';
import { REPO_ROOT, listFiles, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';

interface StudyJson {
  studyInstanceUid: string;
  accessionNumber: string;
  status: string;
  ai: Array<{ modelId: string; flagged: boolean; probability: number; backend: string; instancesAnalyzed: number }>;
}

describe('e2e: image AI on the sample studies', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  before(async function () {
    requirePeers(this, 'dcmsend', 'dciodvfy', 'dsrdump');
    gw = await startGateway({ dicom: { studyQuietSeconds: 1 } });
  });
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  it('/readyz lists the demo model with the engine, provider and device it runs on', async () => {
    const { status, body } = await gw.getJson<{ ok: boolean; models: Array<{ id: string; state: string; engine: string; provider: string; device: string }> }>('/readyz');
    expect(status).to.equal(200);
    expect(body.models).to.have.length(1);
    expect(body.models[0]).to.include({ id: 'chest-ct-nodule-demo', state: 'loaded', engine: 'onnxruntime-node', provider: 'cpu' });
    expect(body.models[0]?.device).to.match(/cpu/i);
  });

  it('flags the nodule study, not the negative one, and writes valid SRs', async () => {
    for (const name of ['DEMO001-nodule', 'DEMO002-negative']) {
      const dir = join(REPO_ROOT, 'sample-dicom', name);
      const r = await dcmsend(gw.dicomPort, readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f)));
      expect(r.code, r.stderr).to.equal(0);
    }
    const studies = await waitFor('both studies analysed', async () => {
      const { body } = await gw.getJson<StudyJson[]>('/api/studies');
      return body.length === 2 && body.every((s) => s.status === 'analyzed') ? body : undefined;
    }, 90_000);
    const byAcc = Object.fromEntries(studies.map((s) => [s.accessionNumber, s]));
    expect(byAcc.DEMOACC001?.ai[0]).to.include({ modelId: 'chest-ct-nodule-demo', flagged: true, instancesAnalyzed: 16 });
    expect(byAcc.DEMOACC002?.ai[0]).to.include({ modelId: 'chest-ct-nodule-demo', flagged: false, instancesAnalyzed: 16 });
    expect(byAcc.DEMOACC001?.ai[0]?.backend).to.match(/^onnxruntime-node\/cpu$/);

    const srs = listFiles(join(gw.dataDir, 'spool', 'results'));
    expect(srs).to.have.length(2);
    for (const sr of srs) {
      const v = await run('dciodvfy', [sr]);
      const out = v.stdout + v.stderr;
      const errors = out.split('\n').filter((l) => /^Error/.test(l));
      expect(errors, out).to.deep.equal([]);
      const warnings = out.split('\n').filter((l) => /^Warning/.test(l));
      if (warnings.length > 0) console.log(`      dciodvfy warnings for ${sr.split('/').pop()}:\n        ${warnings.join('\n        ')}`);
      const dump = await run('dsrdump', ['+Pc', '+Pl', sr]);
      expect(dump.stdout).to.contain('Pulmonary nodule');
      expect(dump.stdout).to.contain('not for clinical use');
    }
  });

  it('outlines the flagged finding on its best slices (TID 1410 image regions); the negative SR has none', () => {
    const parsed = listFiles(join(gw.dataDir, 'spool', 'results')).map((f) => parseFindingsSr(readFileSync(f)));
    const nodule = parsed.find((p) => p.report.findings[0]?.presence === 'present');
    const negative = parsed.find((p) => p.report.findings[0]?.presence === 'absent');
    if (nodule === undefined || negative === undefined) throw new Error('expected one flagged and one negative SR');
    const { regions, findings } = nodule.report;
    expect(regions.length).to.be.within(1, 3);
    const sources = new Set(findings[0]?.sourceImages.map((i) => i.sopInstanceUid));
    for (const r of regions) {
      expect(sources.has(r.image.sopInstanceUid), 'a region is on one of the finding\'s best slices').to.equal(true);
      expect(r.probability).to.be.at.least(0.5);
      for (const [c, row] of r.points) expect(c >= 0 && c <= 512 && row >= 0 && row <= 512, `(${c}, ${row}) on the 512 × 512 image`).to.equal(true);
    }
    expect(negative.report.regions).to.deep.equal([]);
    expect(negative.report.findings[0]?.finding.meaning).to.equal('Pulmonary nodule');
  });
});
