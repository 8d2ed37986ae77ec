/**
 * Report findings back to the PACS as DICOM SR (`reportSr` destinations): a report sent by the real `mllp_send`
 * for a study the gateway received ends up as a TID 1500 SR in DCMTK's `storescp`, with coded findings and their
 * certainty (Present / Absent / Undetermined) and the stated size, in the report's study; `dciodvfy` finds no
 * error. A destination without `reportSr` gets the image-AI SR only; the same report sent again sends nothing new.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dcmsend, startStorescp, type Storescp } from '../helpers/dcmtk.js';
import { REPO_ROOT, listFiles, runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';

const REPORT = [
  'MSH|^~\\&|RIS|HOSP|AIGW|HOSP|20261130120000||ORU^R01|RPTSR0001|P|2.5.1',
  'PID|1||DEMO-PID^^^HOSP||DEMO^PATIENT',
  'OBR|1|DEMOACC002|DEMOACC002|71250^CT CHEST^CPT|||20261130110000|||||||||||||||20261130120000|||F',
  'OBX|1|TX|59776-5^Procedure Findings^LN||There is an 8 mm nodule in the right upper lobe.||||||F',
  'OBX|2|TX|59776-5^Procedure Findings^LN||Possible small left pleural effusion.||||||F',
  'OBX|3|TX|59776-5^Procedure Findings^LN||No pneumothorax.||||||F',
].join('\r');

/** Files storescp stored, by SOP class (its file names start with a modality prefix: SRc = Comprehensive 3D SR). */
const srFiles = (scp: Storescp): string[] => listFiles(scp.dir).filter((f) => /\/SR[^/]*$/.test(f));

describe('e2e: report findings as a DICOM SR to the PACS', function () {
  this.timeout(150_000);
  let gw: TestGateway;
  let pacs: Storescp;
  let plain: Storescp;
  before(async function () {
    requirePeers(this, 'dcmsend', 'storescp', 'dciodvfy', 'dsrdump', '/usr/bin/mllp_send');
    pacs = await startStorescp('PACS');
    plain = await startStorescp('ARCHIVE');
    gw = await startGateway({
      dicom: {
        studyQuietSeconds: 1,
        destinations: [
          { name: 'pacs', aeTitle: 'PACS', host: '127.0.0.1', port: pacs.port, reportSr: true },
          { name: 'archive', aeTitle: 'ARCHIVE', host: '127.0.0.1', port: plain.port },
        ],
      },
      outbox: { baseDelayMs: 500, maxDelayMs: 2000 },
    });
  });
  after(async () => {
    await gw?.stop();
    await pacs?.stop();
    await plain?.stop();
    runCleanups();
  });

  it('sends an SR with the coded findings, their certainty and size, in the study; dciodvfy finds no error', async () => {
    const dir = join(REPO_ROOT, 'sample-dicom', 'DEMO002-negative');
    expect((await dcmsend(gw.dicomPort, readdirSync(dir).filter((f) => f.endsWith('.dcm')).map((f) => join(dir, f)))).code).to.equal(0);
    const file = join(tempDir(), 'report.hl7');
    writeFileSync(file, `\x0b${REPORT}\x1c\r`, 'latin1');
    const sent = await run('/usr/bin/python3', ['/usr/bin/mllp_send', '--file', file, '-p', String(gw.hl7Port), '127.0.0.1']);
    expect(sent.stdout).to.match(/MSA\|AA\|RPTSR0001/);

    // the image-AI SR and the report SR at the PACS; the image-AI SR only at the archive
    const both = await waitFor('two SRs at the PACS', () => (srFiles(pacs).length >= 2 ? srFiles(pacs) : undefined), 120_000);
    await waitFor('the image-AI SR at the archive', () => srFiles(plain).length >= 1, 30_000);
    const dumps = await Promise.all(both.map(async (f) => ({ file: f, text: (await run('dsrdump', ['+Pc', '+Pl', f])).stdout })));
    const reportSr = dumps.find((d) => d.text.includes('report-ner'));
    expect(reportSr, dumps.map((d) => d.text).join('\n----\n')).to.not.equal(undefined);
    const text = reportSr?.text ?? '';
    expect(text).to.match(/Imaging Measurement Report/);
    expect(text).to.match(/Nodule.*=.*Present|"Present"/s);
    expect(text).to.match(/Diameter.*"8" \(mm/s);
    expect(text).to.contain('Undetermined'); // "possible … effusion"
    expect(text).to.contain('Absent'); // "no pneumothorax"
    expect(text).to.contain('not for clinical use');
    const v = await run('dciodvfy', [reportSr?.file ?? '']);
    const errors = (v.stdout + v.stderr).split('\n').filter((l) => /^Error/.test(l));
    expect(errors, v.stdout + v.stderr).to.deep.equal([]);

    // same Study Instance UID as the images the report is about
    const studyOf = async (f: string): Promise<string> => /\(0020,000d\) UI \[([^\]]+)\]/.exec((await run('dcmdump', ['+P', '0020,000d', f])).stdout)?.[1] ?? '';
    expect(await studyOf(reportSr?.file ?? '')).to.equal(await studyOf(join(dir, readdirSync(dir).filter((f) => f.endsWith('.dcm'))[0] ?? '')));
    expect(srFiles(plain), 'no report SR for a destination without reportSr').to.have.length(1);

    // the RIS sends the same report again (same MSH-10): ACKed, nothing new queued. Reports are processed in
    // arrival order, so once a later report (for another study) is processed, anything the copy set off is done.
    const again = await run('/usr/bin/python3', ['/usr/bin/mllp_send', '--file', file, '-p', String(gw.hl7Port), '127.0.0.1']);
    expect(again.stdout).to.match(/MSA\|AA\|RPTSR0001/);
    const later = join(tempDir(), 'later.hl7');
    writeFileSync(later, `\x0b${REPORT.replace(/RPTSR0001/u, 'RPTSR0002').replace(/DEMOACC002/gu, 'OTHERACC')}\x1c\r`, 'latin1');
    expect((await run('/usr/bin/python3', ['/usr/bin/mllp_send', '--file', later, '-p', String(gw.hl7Port), '127.0.0.1'])).stdout).to.match(/MSA\|AA\|RPTSR0002/);
    const db = new Database(join(gw.dataDir, 'gateway.sqlite'), { readonly: true });
    try {
      await waitFor('the later report to be processed', () =>
        (db.prepare("SELECT state FROM hl7_messages WHERE control_id = 'RPTSR0002'").get() as { state: string } | undefined)?.state === 'processed');
      const queued = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE destination = 'pacs'").get() as { n: number };
      expect(queued.n, 'the image-AI SR and one report SR').to.equal(2);
    } finally {
      db.close();
    }
    expect(srFiles(pacs)).to.have.length(2);
  });
});
