/**
 * Issue 15, D6: duplicates are the same bytes, not only the same sender and MSH-10. A byte-identical resend is ACKed
 * AA again and stored once; a different message under a control id already received (a RIS that restarted its
 * counter) gets AR with ERR 205 naming the conflict, and is neither stored over the first nor dropped silently.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { gatewayPerSuite } from '../helpers/gateway.js';
import { sendAndTime, validOru } from '../helpers/hl7-hostile.js';

describe('socket: HL7 duplicates compared by content (D6)', function () {
  this.timeout(60_000);
  const gw = gatewayPerSuite();

  const rows = (id: string): Array<{ times_received: number; report_text: string }> => {
    const db = new Database(join(gw().dataDir, 'gateway.sqlite'), { readonly: true });
    try {
      return db.prepare<[string], { times_received: number; report_text: string }>('SELECT times_received, report_text FROM hl7_messages WHERE control_id = ?').all(id);
    } finally {
      db.close();
    }
  };

  it('identical bytes again: AA, stored once; the same MSH-10 with other content: AR, ERR 205 naming the conflict, first report kept', async () => {
    const port = gw().hl7Port ?? -1;
    const first = validOru('DUP1');
    expect((await sendAndTime(port, first)).ack).to.deep.include({ code: 'AA', acknowledgedControlId: 'DUP1' });
    expect((await sendAndTime(port, first)).ack).to.deep.include({ code: 'AA', acknowledgedControlId: 'DUP1' });
    expect(rows('DUP1').map((r) => r.times_received)).to.deep.equal([2]);

    const other = first.replace('No acute cardiopulmonary finding.', 'New 8 mm nodule in the right upper lobe.');
    const conflict = await sendAndTime(port, other);
    expect(conflict.ack).to.deep.include({ code: 'AR', acknowledgedControlId: 'DUP1', conditions: ['205'] });
    expect(conflict.errText).to.contain('MSH-10').and.contain('DUP1').and.contain('different content');
    const stored = rows('DUP1');
    expect(stored).to.have.length(1);
    expect(stored[0]?.report_text).to.contain('No acute cardiopulmonary finding.');
  });
});
