import { expect } from 'chai';
import { readAck, type Hl7AckDecision, type ReceivedAck } from '../../../src/hl7/ack.js';
import { createControlIdGenerator } from '../../../src/hl7/control-id.js';
import { answerFrame, answerOversize, type ExchangeDeps, type FrameAnswer, type ReceivedHl7Message } from '../../../src/hl7/exchange.js';
import { readFrame, readMessageBytes } from '../../../src/hl7/inbound.js';
import { DEFAULT_HL7_LIMITS } from '../../../src/hl7/message.js';
import { silentLogger } from '../../../src/log.js';

const PEER = { connectionId: 'c1', address: '127.0.0.1', port: 1234 };
const msg = (id: string, msh15 = ''): string => `MSH|^~\\&|RIS|H|GW|H|2026||ORU^R01|${id}|P|2.5|||${msh15}\rOBX|1|TX|R||text\r`;

function deps(handler: (r: ReceivedHl7Message) => Promise<Hl7AckDecision>): ExchangeDeps {
  return { handler, limits: DEFAULT_HL7_LIMITS, controlIds: createControlIdGenerator('T'), clock: () => new Date(Date.UTC(2026, 0, 1)), log: silentLogger };
}

function ackOf(answer: FrameAnswer): ReceivedAck | undefined {
  if (answer.reply === undefined) return undefined;
  const item = readMessageBytes(answer.reply);
  return item.kind === 'message' ? readAck(item.message) : undefined;
}

describe('hl7/exchange', () => {
  it('hands a parsed message to the handler and answers AA with MSA-2 = MSH-10', async () => {
    const seen: ReceivedHl7Message[] = [];
    const answer = await answerFrame(Buffer.from(msg('M1')), PEER, deps(async (r) => (seen.push(r), { code: 'AA' })));
    expect(seen.map((r) => [r.controlId, r.encoding, r.peer.connectionId, r.raw.toString()])).to.deep.equal([['M1', 'utf-8', 'c1', msg('M1')]]);
    expect(ackOf(answer)).to.deep.include({ code: 'AA', acknowledgedControlId: 'M1' });
    expect(answer.outcomes).to.have.length(1);
    expect(answer.outcomes[0]).to.deep.include({ controlId: 'M1', messageType: 'ORU^R01', ackCode: 'AA' });
  });

  it('does not answer before the handler’s promise resolves (ACK only after commit)', async () => {
    let commit: (d: Hl7AckDecision) => void = () => {};
    let handed: () => void = () => {};
    const handlerCalled = new Promise<void>((resolve) => (handed = resolve));
    const pending = answerFrame(Buffer.from(msg('M2')), PEER, deps(() => new Promise((resolve) => (handed(), (commit = resolve)))));
    let answered = false;
    void pending.then(() => (answered = true));
    await handlerCalled; // sync point: the exchange has reached the handler
    // No timer or I/O is involved: once the promise callbacks already queued have run (one macrotask turn), an
    // exchange that did not wait for the handler would have answered.
    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).to.equal(false);
    commit({ code: 'AA' });
    expect(ackOf(await pending)?.code).to.equal('AA');
  });

  it('passes the handler’s AE/AR and ERR through, and answers AE 207 when the handler throws', async () => {
    const rejected = await answerFrame(Buffer.from(msg('M3')), PEER, deps(async () => ({ code: 'AR', error: { condition: '200', userMessage: 'ADT not handled here' } })));
    expect(ackOf(rejected)).to.deep.include({ code: 'AR', conditions: ['200'], text: 'ADT not handled here' });
    const failed = await answerFrame(Buffer.from(msg('M4')), PEER, deps(async () => Promise.reject(new Error('disk full'))));
    expect(ackOf(failed)).to.deep.include({ code: 'AE', acknowledgedControlId: 'M4', conditions: ['207'] });
    expect(failed.outcomes[0]?.problem).to.equal('GW_ERR_HL7_HANDLER_FAILED');
  });

  it('notes what it tolerated: 8-bit text without MSH-18 is read as windows-1252 and the handler is told', async () => {
    const seen: ReceivedHl7Message[] = [];
    const bytes = Buffer.from(msg('N1').replace('text', 'M\xfcller'), 'latin1');
    const answer = await answerFrame(bytes, PEER, deps(async (r) => (seen.push(r), { code: 'AA' })));
    expect(seen[0]?.charsetAssumed).to.equal(true);
    expect(seen[0]?.message.field('OBX', 5)).to.equal('Müller');
    expect(answer.outcomes[0]?.notes).to.have.length(1);
  });

  it('answers input that is not HL7 with AR without calling the handler', async () => {
    let calls = 0;
    const answer = await answerFrame(Buffer.from('Unparseable message\n'), PEER, deps(async () => (calls++, { code: 'AA' })));
    expect(calls).to.equal(0);
    expect(ackOf(answer)).to.deep.include({ code: 'AR', acknowledgedControlId: '', conditions: ['100'] });
    expect(answer.outcomes[0]?.problem).to.equal('GW_ERR_HL7_NOT_HL7');
  });

  it('honours MSH-15: AL → CA, NE → no ACK (handler still called), ER → only errors', async () => {
    const ok = deps(async () => ({ code: 'AA' }));
    expect(ackOf(await answerFrame(Buffer.from(msg('E1', 'AL')), PEER, ok))?.code).to.equal('CA');
    const ne = await answerFrame(Buffer.from(msg('E2', 'NE')), PEER, ok);
    expect(ne.reply).to.equal(undefined);
    expect(ne.outcomes[0]).to.deep.include({ controlId: 'E2' });
    expect((await answerFrame(Buffer.from(msg('E3', 'ER')), PEER, ok)).reply).to.equal(undefined);
    const erFail = await answerFrame(Buffer.from(msg('E4', 'ER')), PEER, deps(async () => ({ code: 'AE', error: { condition: '207', userMessage: 'x' } })));
    expect(ackOf(erFail)?.code).to.equal('CE');
  });

  it('handles a batch in order and answers with one batch of ACKs', async () => {
    const order: string[] = [];
    const batch = `BHS|^~\\&|RIS|H|GW|H|2026||||B-9\r${msg('B1')}MSH|^~\\&|broken\r${msg('B3')}BTS|3\r`;
    const answer = await answerFrame(Buffer.from(batch), PEER, deps(async (r) => (order.push(`${r.controlId}@${r.batch?.index}/${r.batch?.count}`), { code: 'AA' })));
    expect(order).to.deep.equal(['B1@1/3', 'B3@3/3']);
    const reply = readFrame(answer.reply as Buffer);
    expect(reply.batch?.batchHeader?.fields[12]).to.equal('B-9');
    const codes = reply.items.map((i) => (i.kind === 'message' ? readAck(i.message)?.code : i.kind));
    expect(codes).to.deep.equal(['AA', 'AR', 'AA']);
  });

  it('answers an oversize frame with AR naming the limit, echoing MSH-10 from the kept head', () => {
    const answer = answerOversize(Buffer.from(msg('BIG').slice(0, 60)), 5_000_000, 1_000_000, deps(async () => ({ code: 'AA' })));
    const ack = ackOf(answer);
    expect(ack).to.deep.include({ code: 'AR', acknowledgedControlId: 'BIG', conditions: ['207'] });
    expect(answer.outcomes[0]?.problem).to.equal('GW_ERR_HL7_FRAME_TOO_LARGE');
  });
});
