/**
 * End to end with Orthanc as the PACS: storescu → Orthanc; Orthanc's OnStableStudy routes the study to the
 * gateway; the gateway analyses it and its SR appears in Orthanc in the same study. Orthanc then routes the
 * study back with our SR in it: the gateway neither re-analyses nor sends a second SR.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { REPO_ROOT, runCleanups, waitFor } from '../helpers/fixtures.js';
import { autoRoutingOrthanc, sendThroughOrthanc, startGatewayBehindOrthanc, type RoutedPair, type RoutedStudy } from '../helpers/orthanc-routing.js';
import { requirePeers } from '../helpers/peers.js';

const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');
/** Sent after the round trip as the sync point that proves the gateway has gone past it. */
const LATER_SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO002-negative');

describe('e2e: Orthanc auto-routes to the gateway, the SR comes back to Orthanc', function () {
  this.timeout(180_000);
  let pair: RoutedPair;

  before(async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    pair = await startGatewayBehindOrthanc(autoRoutingOrthanc);
  });
  after(async () => {
    await pair?.stop();
    runCleanups();
  });

  it('delivers one SR into the same study and does not loop when Orthanc routes the study back', async () => {
    const { gw, orthanc } = pair;
    const study = await sendThroughOrthanc(pair, SAMPLE, 'DEMOACC001');
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
      const s = (await gw.getJson<RoutedStudy[]>('/api/studies')).body.find((x) => x.studyInstanceUid === study.studyInstanceUid);
      return s !== undefined && s.instanceCount === 17;
    }, 60_000);
    // ...and has queued no second analysis and no second SR. Sync point instead of a sleep: a second study sent
    // now reaches the gateway only after Orthanc's stable age (2 s), so its quiet period ends after the first
    // study's; jobs run in the order they are due, so once the second study is analysed and its SR delivered,
    // any re-analysis the routed-back instances had caused would be in the jobs and outbox tables already.
    const later = await sendThroughOrthanc(pair, LATER_SAMPLE, 'DEMOACC002');
    expect(later.studyInstanceUid).to.not.equal(study.studyInstanceUid);
    const db = new Database(join(gw.dataDir, 'gateway.sqlite'), { readonly: true });
    const jobs = db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE study_instance_uid = ?').get(study.studyInstanceUid) as { n: number };
    const rows = db.prepare('SELECT state FROM outbox WHERE study_instance_uid = ?').all(study.studyInstanceUid) as Array<{ state: string }>;
    db.close();
    expect(jobs.n, 'analysis jobs').to.equal(1);
    expect(rows).to.deep.equal([{ state: 'delivered' }]);
    expect((await orthancInstances()).length, 'Orthanc still holds 16 images + 1 SR').to.equal(17);
  });
});
