/**
 * The gateway behind an Orthanc that routes stable studies to it (how docs/pacs-guide.md sets a PACS up): Orthanc
 * knows the gateway as a modality, the gateway accepts only Orthanc and sends its results back to it.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { freePort, waitFor } from './fixtures.js';
import { startGateway, type TestGateway } from './gateway.js';
import { startOrthanc, type Orthanc, type OrthancOptions } from './orthanc.js';
import { run } from './peers.js';

export interface RoutedPair {
  gw: TestGateway;
  orthanc: Orthanc;
  stop(): Promise<void>;
}

/** A study as `/api/studies` lists it (the fields these tests read). */
export interface RoutedStudy {
  studyInstanceUid: string;
  accessionNumber: string;
  status: string;
  instanceCount: number;
  ai: Array<{ flagged: boolean; probability: number }>;
}

/** Orthanc knowing the gateway as a modality and routing each study to it once stable (2 s), by a Lua script. */
export function autoRoutingOrthanc(gatewayPort: number): OrthancOptions {
  return {
    modalities: { gateway: { aeTitle: 'AIGATEWAY', host: '127.0.0.1', port: gatewayPort } },
    stableAgeSec: 2,
    luaScript: `function OnStableStudy(studyId, tags, metadata)
  RestApiPost('/modalities/gateway/store', '{"Resources": ["' .. studyId .. '"], "Asynchronous": true}')
end`,
  };
}

/**
 * Starts Orthanc (its options get the gateway's port) and then the gateway, quiet period 1 s, fast retries.
 * `results`: what the gateway sends Orthanc (`dicom.destinations[].results`, default the SR only).
 */
export async function startGatewayBehindOrthanc(orthancOptions: (gatewayPort: number) => OrthancOptions, results?: Array<'sr' | 'kos' | 'summary' | 'report-sr'>): Promise<RoutedPair> {
  const gatewayPort = await freePort();
  const orthanc = await startOrthanc(orthancOptions(gatewayPort));
  try {
    const gw = await startGateway({
      dicom: {
        port: gatewayPort,
        studyQuietSeconds: 1,
        allowedPeers: [{ aeTitle: orthanc.aeTitle, host: '127.0.0.1' }],
        destinations: [{ name: 'pacs', aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort, ...(results === undefined ? {} : { results }) }],
      },
      outbox: { baseDelayMs: 500, maxDelayMs: 2000 },
    });
    return { gw, orthanc, stop: async () => { await gw.stop(); await orthanc.stop(); } };
  } catch (err) {
    await orthanc.stop();
    throw err;
  }
}

/** Sends a sample study to Orthanc with dcmsend; resolves once the gateway has analysed it and delivered its SR. */
export async function sendThroughOrthanc(pair: RoutedPair, sampleDir: string, accessionNumber: string): Promise<RoutedStudy> {
  const files = readdirSync(sampleDir).filter((f) => f.endsWith('.dcm')).map((f) => join(sampleDir, f));
  const sent = await run('dcmsend', ['-aec', pair.orthanc.aeTitle, '127.0.0.1', String(pair.orthanc.dicomPort), ...files]);
  expect(sent.code, sent.stderr).to.equal(0);
  return waitFor(
    'the gateway to analyse the routed study and deliver its SR',
    async () => (await pair.gw.getJson<RoutedStudy[]>('/api/studies')).body.find((s) => s.accessionNumber === accessionNumber && s.status === 'delivered'),
    90_000,
  );
}
