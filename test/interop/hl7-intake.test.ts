/**
 * Reports from the RIS through the daemon: every corpus message sent by the real `mllp_send` gets the right
 * ACK and is stored once; a resend of the same bytes is ACKed again without a second row, and a corpus file that
 * reuses another's sender + MSH-10 with different content gets AR.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, runCleanups, tempDir } from '../helpers/fixtures.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { requirePeers, run } from '../helpers/peers.js';

const MLLP_SEND = '/usr/bin/mllp_send';

function ackCode(output: string): string | undefined {
  return /MSA\|([A-Z]{2})(?:\||\r|$)/m.exec(output)?.[1];
}

/** mllp_send --file splits its input on MLLP frames, so each corpus file is wrapped as VT bytes FS CR. */
function framedCopy(name: string): string {
  const file = join(tempDir('pag-mllp-'), name);
  writeFileSync(file, Buffer.concat([Buffer.from([0x0b]), readFileSync(join(CORPUS, 'hl7', name)), Buffer.from([0x1c, 0x0d])]));
  return file;
}

describe('interop: HL7 reports into the daemon with mllp_send', function () {
  this.timeout(120_000);
  let gw: TestGateway;
  before(async function () {
    requirePeers(this, MLLP_SEND);
    gw = await startGateway();
  });
  after(async () => {
    await gw?.stop();
    runCleanups();
  });

  const files = readdirSync(join(CORPUS, 'hl7')).filter((f) => f.endsWith('.hl7')).sort();

  it('ACKs every corpus message (AA/CA valid, AE/AR invalid) after storing it, and stores each once', async () => {
    const acks: Record<string, string | undefined> = {};
    for (const f of files) {
      const r = await run('/usr/bin/python3', [MLLP_SEND, '--file', framedCopy(f), '-p', String(gw.hl7Port), '127.0.0.1'], { timeoutMs: 20_000 });
      acks[f] = ackCode(r.stdout + r.stderr);
    }
    // fhirconverter's ORM-O01 files reuse sender + MSH-10 MSG00018 for different orders: the later ones are a
    // control-id conflict (issue 15, D6), refused with AR rather than ACKed and dropped.
    const firstBytes = new Map<string, string>();
    const conflicts = new Set<string>();
    for (const f of files) {
      const bytes = readFileSync(join(CORPUS, 'hl7', f), 'latin1');
      const msh = bytes.replace(/^\xEF\xBB\xBF/, '').split(/[\r\n]/, 1)[0]?.split('|') ?? [];
      const key = `${msh[2]}^${msh[3]}|${msh[9]}`;
      const known = firstBytes.get(key);
      if (known === undefined) firstBytes.set(key, bytes);
      else if (known !== bytes) conflicts.add(f);
    }
    expect([...conflicts]).to.include('fhirconverter__ORM-O01-03.hl7');
    for (const [f, code] of Object.entries(acks)) {
      if (conflicts.has(f)) expect(code, f).to.be.oneOf(['AR', 'CR']);
      else if (f.includes('INVALID')) expect(code, f).to.be.oneOf(['AE', 'AR', 'CE', 'CR']);
      // everything else, orders and a stray ACK included, is valid HL7: stored (as not-a-report) and acknowledged
      else expect(code, f).to.be.oneOf(['AA', 'CA']);
    }
    // resend the first report: ACKed again, stored once
    const again = await run('/usr/bin/python3', [MLLP_SEND, '--file', framedCopy('dcm4che__ORU_R01.hl7'), '-p', String(gw.hl7Port), '127.0.0.1']);
    expect(ackCode(again.stdout)).to.be.oneOf(['AA', 'CA']);
    const db = new Database(join(gw.dataDir, 'gateway.sqlite'), { readonly: true });
    const dupes = db.prepare('SELECT sender, control_id, COUNT(*) AS n FROM hl7_messages GROUP BY sender, control_id HAVING n > 1').all();
    const oru = db.prepare("SELECT accession_number, study_instance_uid, report_text, times_received FROM hl7_messages WHERE control_id = (SELECT control_id FROM hl7_messages WHERE accession_number = 'B601Z')").get() as { accession_number: string; study_instance_uid: string; report_text: string; times_received: number };
    db.close();
    expect(dupes).to.deep.equal([]);
    expect(oru.times_received).to.equal(2);
    expect(oru.study_instance_uid).to.equal('1.113654.1.2001.30.2.2');
    expect(oru.report_text).to.contain('small mass in the left lung');
  });
});
