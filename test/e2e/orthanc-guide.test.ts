/**
 * The Orthanc set-up published in docs/pacs-guide.md, run as published: docs/orthanc/route-to-ai-gateway.lua
 * verbatim, the modality and user-metadata keys the guide lists. Orthanc routes a stable study to the gateway once;
 * the SR the gateway sends back lands in the same study and is not routed back to the gateway.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, runCleanups, waitFor } from '../helpers/fixtures.js';
import { sendThroughOrthanc, startGatewayBehindOrthanc, type RoutedPair, type RoutedStudy } from '../helpers/orthanc-routing.js';
import { requirePeers } from '../helpers/peers.js';

const LUA = join(REPO_ROOT, 'docs', 'orthanc', 'route-to-ai-gateway.lua');
const SAMPLE = join(REPO_ROOT, 'sample-dicom', 'DEMO001-nodule');

describe('e2e: the Orthanc auto-routing script of the PACS guide', function () {
  this.timeout(180_000);
  let pair: RoutedPair;

  before(async function () {
    requirePeers(this, 'Orthanc', 'dcmsend', 'cc');
    pair = await startGatewayBehindOrthanc((gatewayPort) => ({
      // As in the guide: the gateway under the modality name the script uses, and the script's metadata key.
      modalities: { aigateway: { aeTitle: 'AIGATEWAY', host: '127.0.0.1', port: gatewayPort } },
      luaScript: readFileSync(LUA, 'utf8'),
      stableAgeSec: 2,
      extraConfig: { UserMetadata: { AiGatewayRouted: 1024 } },
    }));
  });
  after(async () => {
    await pair?.stop();
    runCleanups();
  });

  it('sends the study once, gets the SR back into it, and does not send the SR to the gateway', async () => {
    const { gw, orthanc } = pair;
    const study = await sendThroughOrthanc(pair, SAMPLE, 'DEMOACC001');
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
    const gwStudy = (await gw.getJson<RoutedStudy[]>('/api/studies')).body.find((s) => s.studyInstanceUid === study.studyInstanceUid);
    expect(gwStudy?.instanceCount, 'the gateway never received its own SR back').to.equal(16);
  });
});
