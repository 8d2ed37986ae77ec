import { expect } from 'chai';
import { readAck } from '../../../src/hl7/ack.js';
import { createControlIdGenerator } from '../../../src/hl7/control-id.js';
import { answerFrame } from '../../../src/hl7/exchange.js';
import { readFrame, readMessageBytes } from '../../../src/hl7/inbound.js';
import { DEFAULT_HL7_LIMITS, parseHl7Message, type Hl7Limits, type Hl7ParseResult, type ParsedHl7Message } from '../../../src/hl7/message.js';
import { extractReport } from '../../../src/hl7/report-extract.js';
import { silentLogger } from '../../../src/log.js';

const MSH = 'MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|L1|P|2.5.1';
const SMALL: Hl7Limits = { maxSegments: 10, maxFieldsPerSegment: 30, maxRepetitionsPerField: 5 };

function problemOf(r: Hl7ParseResult): { code: string; detail: string; location?: object } {
  if (r.ok) throw new Error('expected a problem, the message parsed');
  return r.problem;
}

function parsed(r: Hl7ParseResult): ParsedHl7Message {
  if (!r.ok) throw new Error(JSON.stringify(r.problem));
  return r.message;
}

describe('hl7/limits: structure bounds checked in one pass', () => {
  it('refuses more segments than maxSegments, naming the key and the first segment over', () => {
    const text = [MSH, ...Array.from({ length: 9 }, (_, k) => `OBX|${k + 1}|TX|R||line`), 'NTE|1||one too many'].join('\r');
    const p = problemOf(parseHl7Message(text, { limits: SMALL }));
    expect(p).to.deep.include({ code: 'GW_ERR_HL7_LIMIT_EXCEEDED', location: { segment: 'NTE', sequence: 1 } });
    expect(p.detail).to.contain('hl7.limits.maxSegments');
    expect(parsed(parseHl7Message(text.slice(0, text.lastIndexOf('\r')), { limits: SMALL })).segments()).to.have.length(10);
  });

  it('counts fields as HL7 numbers them (MSH-1 is the separator) and refuses a segment with too many', () => {
    const mshOk = `${MSH}${'|'.repeat(30 - 12)}`;
    expect(parsed(parseHl7Message(mshOk, { limits: SMALL })).controlId).to.equal('L1');
    const mshOver = problemOf(parseHl7Message(`${mshOk}|`, { limits: SMALL }));
    expect(mshOver).to.deep.include({ code: 'GW_ERR_HL7_LIMIT_EXCEEDED', location: { segment: 'MSH', sequence: 1, field: 31 } });
    const obx = problemOf(parseHl7Message(`${MSH}\rOBX|1\rOBX${'|x'.repeat(31)}`, { limits: SMALL }));
    expect(obx).to.deep.include({ location: { segment: 'OBX', sequence: 2, field: 31 } });
    expect(obx.detail).to.contain('hl7.limits.maxFieldsPerSegment');
  });

  it('refuses a field with more repetitions than maxRepetitionsPerField; MSH-2’s own ~ is not a repetition', () => {
    expect(parsed(parseHl7Message(`${MSH}\rOBX|1|TX|R||a~b~c~d~e`, { limits: SMALL })).segment('OBX')?.repetitionCount(5)).to.equal(5);
    const p = problemOf(parseHl7Message(`${MSH}\rOBX|1|TX|R||a~b~c~d~e~f`, { limits: SMALL }));
    expect(p).to.deep.include({ code: 'GW_ERR_HL7_LIMIT_EXCEEDED', location: { segment: 'OBX', sequence: 1, field: 5, repetition: 6 } });
    expect(p.detail).to.contain('OBX-5').and.contain('hl7.limits.maxRepetitionsPerField');
    expect(parsed(parseHl7Message(MSH, { limits: { ...SMALL, maxRepetitionsPerField: 1 } })).controlId).to.equal('L1');
  });

  it('counts a segment continued over raw line breaks as one segment, and checks it whole', () => {
    const continued = `${MSH}\rOBX|1|TX|R||a~b~c\rd~e~f\rOBX|2|TX|R||g`;
    const m = parsed(parseHl7Message(continued, { limits: { ...SMALL, maxRepetitionsPerField: 6, maxSegments: 3 } }));
    expect(m.segments('OBX')).to.have.length(2);
    expect(m.segment('OBX')?.repetitions(5)).to.deep.equal(['a', 'b', 'c\nd', 'e', 'f']);
    expect(m.warnings).to.have.length(1);
    const over = problemOf(parseHl7Message(continued, { limits: { ...SMALL, maxRepetitionsPerField: 4 } }));
    expect(over).to.deep.include({ location: { segment: 'OBX', sequence: 1, field: 5, repetition: 5 } });
  });

  it('lists at most five raw line breaks one by one, then counts the rest in one warning', () => {
    const m = parsed(parseHl7Message(`${MSH}\rOBX|1|TX|R||start${'\rmore'.repeat(1000)}`));
    expect(m.warnings).to.have.length(6);
    expect(m.warnings[5]).to.contain('995 more lines');
  });

  it('D2 root cause: all 20,000 repetitions of an OBX-5 are extracted in one linear pass (limits raised)', () => {
    const reps = Array.from({ length: 20_000 }, (_, k) => `line ${k}`).join('~');
    const limits = { ...DEFAULT_HL7_LIMITS, maxRepetitionsPerField: 100_000 };
    const t0 = performance.now();
    const m = parsed(parseHl7Message(`${MSH}\rOBR|1||ACC1\rOBX|1|TX|R||${reps}||||||F`, { limits }));
    const report = extractReport(m);
    const ms = performance.now() - t0;
    expect(report?.text.split('\n')).to.have.length(20_000);
    // Reading one repetition at a time re-read the whole field each time: > 20 s here before the fix.
    expect(ms, 'parse + extract (ms)').to.be.lessThan(1000);
  });

  it('reads a batch’s members with the same limits, and keeps the others', () => {
    const batch = `BHS|^~\\&|RIS|H|GW|H|2026||||B1\r${MSH}\rOBX|1|TX|R||a~b~c~d~e~f\rMSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|L2|P|2.5.1\rBTS|2\r`;
    const frame = readFrame(Buffer.from(batch), SMALL);
    expect(frame.items.map((i) => (i.kind === 'invalid' ? i.problem.code : i.kind))).to.deep.equal(['GW_ERR_HL7_LIMIT_EXCEEDED', 'message']);
  });

  it('answers a message over a limit with AR, ERR 207 at the location, without calling the handler', async () => {
    let calls = 0;
    const deps = { handler: async () => (calls++, { code: 'AA' as const }), limits: SMALL, controlIds: createControlIdGenerator('T'), clock: () => new Date(0), log: silentLogger };
    const answer = await answerFrame(Buffer.from(`${MSH}\rOBX|1|TX|R||a~b~c~d~e~f\r`), { connectionId: 'c', address: '127.0.0.1', port: 1 }, deps);
    expect(calls).to.equal(0);
    const reply = readMessageBytes(answer.reply as Buffer);
    const ack = reply.kind === 'message' ? readAck(reply.message) : undefined;
    expect(ack).to.deep.include({ code: 'AR', acknowledgedControlId: 'L1', conditions: ['207'] });
    expect(reply.kind === 'message' && reply.message.field('ERR', 2, { component: 3 })).to.equal('5');
    expect(answer.outcomes[0]).to.deep.include({ problem: 'GW_ERR_HL7_LIMIT_EXCEEDED', ackCode: 'AR' });
  });
});
