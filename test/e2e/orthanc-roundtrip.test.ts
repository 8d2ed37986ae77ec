/**
 * End to end with Orthanc as the PACS: storescu → Orthanc; Orthanc's OnStableStudy routes the study to the
 * gateway; the gateway analyses it and its SR appears in Orthanc in the same study. Orthanc then routes the
 * study back with our SR in it: the gateway neither re-analyses nor sends a second SR.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOrthanc, type Orthanc } from '../helpers/orthanc.js';
import { requirePeers, run } from '../helpers/peers.js';

const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');

interface StudyJson {
  studyInstanceUid: string;
  accessionNumber: string;
  status: string;
  instanceCount: number;
  ai: Array<{ flagged: boolean; probability: number }>;
  deliveries: Array<{ state: string; destination: string }>;
}

describe('e2e: Orthanc auto-routes to the gateway, the SR comes back to Orthanc', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let orthanc: Orthanc;

  before(async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    const gatewayPort = await freePort();
    orthanc = await startOrthanc({
      modalities: { gateway: { aeTitle: 'AIGATEWAY', host: '127.0.0.1', port: gatewayPort } },
      stableAgeSec: 2,
      luaScript: `function OnStableStudy(studyId, tags, metadata)
  local body = '{"Resources": ["' .. studyId .. '"], "Asynchronous": true}'
  RestApiPost('/modalities/gateway/store', body)
end`,
    });
    gw = await startGateway({
      dicom: {
        port: gatewayPort,
        studyQuietSeconds: 1,
        allowedPeers: [{ aeTitle: 'ORTHANC', host: '127.0.0.1' }],
        destinations: [{ name: 'orthanc', aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort }],
      },
      outbox: { baseDelayMs: 500, maxDelayMs: 2000 },
    });
  });
  after(async () => {
    await gw?.stop();
    await orthanc?.stop();
    runCleanups();
  });

  it('delivers one SR into the same study and does not loop when Orthanc routes the study back', async () => {
    const files = readdirSync(SAMPLE).filter((f) => f.endsWith('.dcm')).map((f) => join(SAMPLE, f));
    const sent = await run('dcmsend', ['-aec', orthanc.aeTitle, '127.0.0.1', String(orthanc.dicomPort), ...files]);
    expect(sent.code, sent.stderr).to.equal(0);

    const study = await waitFor(
      'the gateway to analyse and deliver the study',
      async () => (await gw.getJson<StudyJson[]>('/api/studies')).body.find((s) => s.accessionNumber === 'DEMOACC001' && s.status === 'delivered'),
      90_000,
    );
    expect(study.ai[0]?.flagged, 'the nodule study is flagged').to.equal(true);

    // The SR is in Orthanc, in the same study.
    const orthancInstances = async (): Promise<Array<{ ID: string }>> => {
      const studies = await orthanc.getJson<Array<{ ID: string; MainDicomTags: Record<string, string> }>>('/studies?expand');
      const id = studies.find((s) => s.MainDicomTags.StudyInstanceUID === study.studyInstanceUid)?.ID;
      return id === undefined ? [] : orthanc.getJson<Array<{ ID: string }>>(`/studies/${id}/instances`);
    };
    const orthancStudy = await waitFor('Orthanc to hold 17 instances in the study', async () => {
      const instances = await orthancInstances();
      return instances.length === 17 ? instances : undefined;
    }, 60_000);
    const srs = [];
    for (const inst of orthancStudy) {
      const tags = await orthanc.getJson<Record<string, string>>(`/instances/${inst.ID}/simplified-tags`);
      if (tags.Modality === 'SR') srs.push(tags);
    }
    expect(srs).to.have.length(1);
    expect(srs[0]?.StudyInstanceUID).to.equal(study.studyInstanceUid);
    expect(srs[0]?.SOPClassUID).to.equal('1.2.840.10008.5.1.4.1.1.88.34');

    // Orthanc's stable-study rule routes the study (now with our SR) back: the gateway indexes the SR...
    await waitFor('the routed-back SR to be indexed', async () => {
      const s = (await gw.getJson<StudyJson[]>('/api/studies')).body.find((x) => x.studyInstanceUid === study.studyInstanceUid);
      return s !== undefined && s.instanceCount === 17;
    }, 60_000);
    // ...and, once its quiet period has passed twice over, has queued no second analysis and no second SR.
    await new Promise((r) => setTimeout(r, 2500));
    const db = new Database(join(gw.dataDir, 'gateway.sqlite'), { readonly: true });
    const jobs = db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE study_instance_uid = ?').get(study.studyInstanceUid) as { n: number };
    const rows = db.prepare('SELECT state FROM outbox WHERE study_instance_uid = ?').all(study.studyInstanceUid) as Array<{ state: string }>;
    db.close();
    expect(jobs.n, 'analysis jobs').to.equal(1);
    expect(rows).to.deep.equal([{ state: 'delivered' }]);
    expect((await orthancInstances()).length, 'Orthanc still holds 16 images + 1 SR').to.equal(17);
  });
});
