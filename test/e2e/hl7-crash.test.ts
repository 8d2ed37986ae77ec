/**
 * kill -9 right after the ACK: the acknowledged message is in the database after restart and its report is
 * processed exactly once (the ACK was only sent after the commit).
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../helpers/daemon.js';
import { runCleanups, tempDir, waitFor } from '../helpers/fixtures.js';
import { requirePeers, run } from '../helpers/peers.js';

describe('e2e: HL7 across kill -9', function () {
  this.timeout(120_000);
  after(runCleanups);

  it('keeps an ACKed report across kill -9 and processes it once after restart', async function () {
    requirePeers(this, '/usr/bin/mllp_send');
    const dir = tempDir('pag-hl7crash-');
    const config = { dataDir: join(dir, 'var'), dicom: { port: 0 }, http: { port: 0 }, storage: { minFreeBytes: 0 }, models: [] };
    const first = await startDaemon(config);
    const msg = [
      'MSH|^~\\&|RIS|HOSP|AIGW|HOSP|20261130120000||ORU^R01|CRASH0001|P|2.5.1',
      'OBR|1|ACC9|ACC9|71250^CT CHEST^CPT|||20261130110000|||||||||||||||20261130120000|||F',
      'OBX|1|TX|59776-5^Findings^LN||Small right pleural effusion. No pneumothorax.||||||F',
    ].join('\r');
    const file = join(dir, 'm.hl7');
    writeFileSync(file, `\x0b${msg}\x1c\r`);
    const sent = await run('/usr/bin/python3', ['/usr/bin/mllp_send', '--file', file, '-p', String(first.hl7Port), '127.0.0.1']);
    expect(sent.stdout).to.match(/MSA\|AA\|CRASH0001/);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startDaemon(config);
    try {
      const dbFile = join(dir, 'var', 'gateway.sqlite');
      const row = await waitFor('the report to be processed after restart', () => {
        const db = new Database(dbFile, { readonly: true });
        try {
          return db.prepare("SELECT state, findings, times_received FROM hl7_messages WHERE control_id = 'CRASH0001' AND state = 'processed'").get() as { state: string; findings: string; times_received: number } | undefined;
        } finally {
          db.close();
        }
      });
      const findings = JSON.parse(row.findings) as Array<{ code: string; certainty: string; laterality: string | null }>;
      expect(findings.find((f) => f.code === '60046008')).to.include({ certainty: 'present', laterality: 'right' });
      expect(findings.find((f) => f.code === '36118008')?.certainty).to.equal('absent');
      // the RIS resends after a timeout: ACKed again, still one row, not processed again
      const again = await run('/usr/bin/python3', ['/usr/bin/mllp_send', '--file', file, '-p', String(second.hl7Port), '127.0.0.1']);
      expect(again.stdout).to.match(/MSA\|AA\|CRASH0001/);
      const db = new Database(dbFile, { readonly: true });
      const rows = db.prepare("SELECT times_received, processed_at FROM hl7_messages WHERE control_id = 'CRASH0001'").all() as Array<{ times_received: number; processed_at: string }>;
      db.close();
      expect(rows).to.have.length(1);
      expect(rows[0]?.times_received).to.equal(2);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
