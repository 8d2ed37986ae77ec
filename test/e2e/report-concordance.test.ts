/**
 * Reports meet images: the RIS sends ORU^R01 reports (real `mllp_send`) for the two sample studies; the gateway
 * extracts coded findings with certainty and compares them with the image AI: the nodule the AI flagged while
 * the report is silent is `ai-only`; a nodule the report describes while the AI saw none is `report-only`.
 */
import { expect } from 'chai';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dcmsend } from '../helpers/dcmtk.js';
import { REPO_ROOT, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';
import { MllpServer, type ReceivedHl7Message } from '../../src/hl7/index.js';
import { silentLogger } from '../../src/log.js';

function oru(controlId: string, accession: string, lines: string[]): string {
  const obx = lines.map((l, i) => `OBX|${i + 1}|TX|59776-5^Procedure Findings^LN||${l}||||||F`);
  return [
    `MSH|^~\\&|RIS|HOSP|AIGW|HOSP|20261130120000||ORU^R01|${controlId}|P|2.5.1`,
    'PID|1||DEMO-PID^^^HOSP||DEMO^PATIENT',
    `OBR|1|${accession}|${accession}|71250^CT CHEST^CPT|||20261130110000|||||||||||||||20261130120000|||F`,
    ...obx,
  ].join('\r');
}

interface StudyJson {
  accessionNumber: string;
  status: string;
  ai: Array<{ flagged: boolean }>;
  reportFindings: Array<{ code: string; certainty: string }>;
  concordance: Array<{ code: string; state: string; report: string }>;
}

describe('e2e: report findings and AI concordance', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  let ris: MllpServer;
  const risInbox: ReceivedHl7Message[] = [];
  before(async function () {
    requirePeers(this, 'dcmsend', '/usr/bin/mllp_send');
    // the RIS / worklist: a test MLLP receiver that ACKs AA and keeps what it got
    ris = new MllpServer(
      { host: '127.0.0.1', port: 0, allowedHosts: ['127.0.0.1'], maxConnections: 4, maxMessageBytes: 1 << 20, idleTimeoutMs: 30_000, shutdownTimeoutMs: 1000 },
      { log: silentLogger, handler: async (m) => (risInbox.push(m), { code: 'AA' }) },
    );
    const risPort = await ris.listen();
    gw = await startGateway({ hl7: { destinations: [{ name: 'ris', host: '127.0.0.1', port: risPort, application: 'RIS' }] } });
  });
  after(async () => {
    await gw?.stop();
    await ris?.close();
    runCleanups();
  });

  it('marks an AI-flagged nodule the report is silent about as ai-only, and a reported nodule the AI missed as report-only', async () => {
    for (const name of ['DEMO001-nodule', 'DEMO002-negative']) {
      const dir = join(REPO_ROOT, 'sample-dicom', name);
      expect((await dcmsend(gw.dicomPort, readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f)))).code).to.equal(0);
    }
    const file = join(tempDir(), 'reports.hl7');
    const frames = [
      oru('RPT0001', 'DEMOACC001', ['CT chest without contrast.', 'No pleural effusion or pneumothorax.', 'IMPRESSION: No acute cardiopulmonary abnormality.']),
      oru('RPT0002', 'DEMOACC002', ['There is an 8 mm nodule in the right upper lobe.', 'No pleural effusion.']),
    ].map((m) => `\x0b${m}\x1c\r`);
    writeFileSync(file, frames.join(''), 'latin1');
    const sent = await run('/usr/bin/python3', ['/usr/bin/mllp_send', '--file', file, '-p', String(gw.hl7Port), '127.0.0.1']);
    expect(sent.stdout.match(/MSA\|AA\|/g) ?? []).to.have.length(2);

    const studies = await waitFor('AI results and report findings on both studies', async () => {
      const { body } = await gw.getJson<StudyJson[]>('/api/studies');
      return body.length === 2 && body.every((s) => s.ai.length === 1 && s.concordance.length === 1) ? body : undefined;
    }, 90_000);
    const byAcc = Object.fromEntries(studies.map((s) => [s.accessionNumber, s]));
    expect(byAcc.DEMOACC001?.concordance[0]).to.include({ code: '786838002', state: 'ai-only', report: 'not-mentioned' });
    expect(byAcc.DEMOACC001?.reportFindings.find((f) => f.code === '60046008')?.certainty).to.equal('absent');
    expect(byAcc.DEMOACC002?.concordance[0]).to.include({ code: '786838002', state: 'report-only', report: 'present' });

    // the RIS got ORU^R01 messages with the AI flags, and one with the discordance for DEMOACC001
    const withDiscordance = await waitFor('an ORU^R01 with the discordance OBX for DEMOACC001', () =>
      risInbox.find((m) => m.message.field('OBR', 3) === 'DEMOACC001' && m.message.segments('OBX').some((o) => o.field(3) === 'DISCORDANCE')),
    30_000);
    expect(withDiscordance.message.messageType).to.include({ code: 'ORU', trigger: 'R01' });
    expect(withDiscordance.message.field('TQ1', 9), 'priority stat for a flagged study (TQ1-9)').to.equal('S');
    expect(withDiscordance.message.field('OBR', 18), 'accession in OBR-18 (IHE RAD)').to.equal('DEMOACC001');
    const coded = withDiscordance.message.segments('OBX').find((o) => o.field(2) === 'CWE');
    expect(coded?.field(3)).to.equal('786838002');
    expect(coded?.field(5)).to.equal('52101004'); // present
    expect(coded?.field(8)).to.equal('A'); // abnormal flag
    const neg = await waitFor('an ORU^R01 for DEMOACC002', () => {
      const got = risInbox.filter((m) => m.message.field('OBR', 3) === 'DEMOACC002');
      return got.length > 0 ? got : undefined;
    }, 30_000);
    expect(neg.every((m) => m.message.segments('OBX').find((o) => o.field(2) === 'CWE')?.field(8) === 'N')).to.equal(true);
    // every message once: no two with the same MSH-10
    const ids = risInbox.map((m) => m.controlId);
    expect(new Set(ids).size).to.equal(ids.length);
  });
});
