/**
 * The Orthanc set-up published in docs/pacs-guide.md, run as published: docs/orthanc/route-to-ai-gateway.lua
 * verbatim, the modality and user-metadata keys the guide lists. Orthanc routes a stable study to the gateway once;
 * the SR the gateway sends back lands in the same study and is not routed back to the gateway.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, freePort, runCleanups, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startOrthanc, type Orthanc } from '../helpers/orthanc.js';
import { requirePeers, run } from '../helpers/peers.js';

const LUA = join(REPO_ROOT, 'docs', 'orthanc', 'route-to-ai-gateway.lua');
const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');

interface StudyJson {
  studyInstanceUid: string;
  accessionNumber: string;
  status: string;
  instanceCount: number;
}

describe('e2e: the Orthanc auto-routing script of the PACS guide', function () {
  this.timeout(180_000);
  let gw: TestGateway;
  let orthanc: Orthanc;

  before(async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    const gatewayPort = await freePort();
    orthanc = await startOrthanc({
      // As in the guide: the gateway under the modality name the script uses, and the script's metadata key.
      modalities: { aigateway: { aeTitle: 'AIGATEWAY', host: '127.0.0.1', port: gatewayPort } },
      luaScript: readFileSync(LUA, 'utf8'),
      stableAgeSec: 2,
      extraConfig: { UserMetadata: { AiGatewayRouted: 1024 } },
    });
    gw = await startGateway({
      dicom: {
        port: gatewayPort,
        studyQuietSeconds: 1,
        allowedPeers: [{ aeTitle: 'ORTHANC', host: '127.0.0.1' }],
        destinations: [{ name: 'pacs', aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort }],
      },
      outbox: { baseDelayMs: 500, maxDelayMs: 2000 },
    });
  });
  after(async () => {
    await gw?.stop();
    await orthanc?.stop();
    runCleanups();
  });

  it('sends the study once, gets the SR back into it, and does not send the SR to the gateway', async () => {
    const files = readdirSync(SAMPLE).filter((f) => f.endsWith('.dcm')).map((f) => join(SAMPLE, f));
    const sent = await run('dcmsend', ['-aec', orthanc.aeTitle, '127.0.0.1', String(orthanc.dicomPort), ...files]);
    expect(sent.code, sent.stderr).to.equal(0);

    const study = await waitFor(
      'the gateway to analyse the routed study and deliver its SR',
      async () => (await gw.getJson<StudyJson[]>('/api/studies')).body.find((s) => s.accessionNumber === 'DEMOACC001' && s.status === 'delivered'),
      90_000,
    );
    const orthancStudy = await waitFor('Orthanc to hold the study', async () => {
      const studies = await orthanc.getJson<Array<{ ID: string; MainDicomTags: Record<string, string> }>>('/studies?expand');
      return studies.find((s) => s.MainDicomTags.StudyInstanceUID === study.studyInstanceUid)?.ID;
    });
    const routeLines = (): string[] => readFileSync(orthanc.logFile, 'utf8').split('\n').filter((l) => l.includes(`ai-gateway route: study ${orthancStudy}`));
    // The SR made the study change; once it is stable again, the script runs and finds nothing new to send.
    await waitFor('the script to run again after the SR arrived', () => routeLines().some((l) => l.includes('nothing new to send')), 60_000);
    const sends = routeLines().filter((l) => l.includes(': sent '));
    expect(sends, routeLines().join('\n')).to.have.length(1);
    expect(sends[0]).to.contain('sent 16 instances to aigateway');

    const instances = await orthanc.getJson<Array<{ ID: string }>>(`/studies/${orthancStudy}/instances`);
    expect(instances, 'Orthanc holds 16 images + our SR').to.have.length(17);
    const gwStudy = (await gw.getJson<StudyJson[]>('/api/studies')).body.find((s) => s.studyInstanceUid === study.studyInstanceUid);
    expect(gwStudy?.instanceCount, 'the gateway never received its own SR back').to.equal(16);
  });
});
