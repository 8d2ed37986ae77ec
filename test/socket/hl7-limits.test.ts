/**
 * Bounded cost per HL7 message (issue 15, D2): messages built to be expensive — 20,000 repetitions in one OBX-5,
 * 20,000 OBX segments, too many fields — are answered within a second through the gateway's own MLLP listener and
 * its real report intake (parse, SQLite commit, ACK), and a valid report right after is ACKed within a second too.
 * Over a limit the sender gets AR with ERR 207 naming the `hl7.limits` key.
 */
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { gatewayPerSuite } from '../helpers/gateway.js';
import { sendAndTime } from '../helpers/hl7-hostile.js';

const MSH = (id: string): string => `MSH|^~\\&|RIS|HOSP|GW|HOSP|20260101||ORU^R01^ORU_R01|${id}|P|2.5.1`;
const report = (id: string, body: string[]): string => [MSH(id), 'PID|1||P1||DOE^JANE', `OBR|1|ORD-${id}|ACC-${id}|71260^CT CHEST^CPT`, ...body].join('\r') + '\r';

describe('socket: bounded cost per HL7 message through the gateway (hl7.limits)', function () {
  this.timeout(120_000);
  const gw = gatewayPerSuite();

  const port = (): number => gw().hl7Port ?? -1;
  const storedIds = (): string[] => {
    const db = new Database(join(gw().dataDir, 'gateway.sqlite'), { readonly: true });
    try {
      return db.prepare<[], { control_id: string }>('SELECT control_id FROM hl7_messages ORDER BY id').all().map((r) => r.control_id);
    } finally {
      db.close();
    }
  };

  it('D2: a 40 KB ORU whose OBX-5 holds 20,000 repetitions is answered within 1 s (AR 207 by the limit), and the next valid ORU within 1 s', async () => {
    const bomb = report('REPBOMB', [`OBX|1|TX|59776-5^Findings^LN||${Array.from({ length: 20_000 }, () => 'x').join('~')}||||||F`]);
    expect(Buffer.byteLength(bomb)).to.be.greaterThan(39_000);
    const answered = await sendAndTime(port(), bomb);
    expect(answered.ms, 'ACK time of the repetition bomb (ms)').to.be.lessThan(1000);
    expect(answered.ack).to.deep.include({ code: 'AR', acknowledgedControlId: 'REPBOMB', conditions: ['207'] });
    expect(answered.errText).to.contain('hl7.limits.maxRepetitionsPerField');
    const next = await sendAndTime(port(), report('AFTER-REP', ['OBX|1|TX|59776-5^Findings^LN||No acute finding.||||||F']));
    expect(next.ms, 'ACK time of the valid ORU after it (ms)').to.be.lessThan(1000);
    expect(next.ack).to.deep.include({ code: 'AA', acknowledgedControlId: 'AFTER-REP' });
    expect(storedIds()).to.include('AFTER-REP').and.not.include('REPBOMB');
  });

  it('D2: a 1.2 MB ORU of 20,000 OBX segments is answered within 1 s (AR 207 by the limit), and the next valid ORU within 1 s', async () => {
    const obx = Array.from({ length: 20_000 }, (_, k) => `OBX|${k + 1}|TX|59776-5^Findings^LN||Line ${k + 1} of a report that is far too long.||||||F`);
    const big = report('SEGBOMB', obx);
    expect(Buffer.byteLength(big)).to.be.greaterThan(1_200_000);
    const answered = await sendAndTime(port(), big);
    expect(answered.ms, 'ACK time of the segment bomb (ms)').to.be.lessThan(1000);
    expect(answered.ack).to.deep.include({ code: 'AR', acknowledgedControlId: 'SEGBOMB', conditions: ['207'] });
    expect(answered.errText).to.contain('hl7.limits.maxSegments');
    const next = await sendAndTime(port(), report('AFTER-SEG', ['OBX|1|TX|59776-5^Findings^LN||No acute finding.||||||F']));
    expect(next.ms, 'ACK time of the valid ORU after it (ms)').to.be.lessThan(1000);
    expect(next.ack).to.deep.include({ code: 'AA', acknowledgedControlId: 'AFTER-SEG' });
  });

  it('a message over each limit gets AR with ERR 207 naming the limit; one just under each is stored with AA', async () => {
    const limits = gw().config.hl7.limits;
    const over = {
      'hl7.limits.maxSegments': report('OVER-SEG', Array.from({ length: limits.maxSegments }, (_, k) => `NTE|${k + 1}||note`)),
      'hl7.limits.maxFieldsPerSegment': report('OVER-FLD', [`ZXX${'|f'.repeat(limits.maxFieldsPerSegment + 1)}`]),
      'hl7.limits.maxRepetitionsPerField': report('OVER-REP', [`OBX|1|TX|R||${'a~'.repeat(limits.maxRepetitionsPerField)}a||||||F`]),
    };
    for (const [key, payload] of Object.entries(over)) {
      const { ack, errText } = await sendAndTime(port(), payload);
      expect(ack, key).to.deep.include({ code: 'AR', conditions: ['207'] });
      expect(errText, key).to.contain(key);
    }
    const under = [
      report('UNDER-SEG', Array.from({ length: limits.maxSegments - 4 }, (_, k) => `NTE|${k + 1}||note`)),
      report('UNDER-FLD', [`ZXX${'|f'.repeat(limits.maxFieldsPerSegment)}`]),
      report('UNDER-REP', [`OBX|1|TX|R||${'a~'.repeat(limits.maxRepetitionsPerField - 1)}a||||||F`]),
    ];
    for (const payload of under) expect((await sendAndTime(port(), payload)).ack.code).to.equal('AA');
    const stored = storedIds();
    expect(stored).to.include.members(['UNDER-SEG', 'UNDER-FLD', 'UNDER-REP']);
    expect(stored).to.not.include.members(['OVER-SEG']);
    expect(stored.filter((id) => id.startsWith('OVER-'))).to.deep.equal([]);
  });
});
