import { expect } from 'chai';
import { MllpDecoder, encodeMllpFrame, type MllpDecoderEvent } from '../../../src/hl7/mllp-framing.js';

const VT = Buffer.from([0x0b]);
const FS_CR = Buffer.from([0x1c, 0x0d]);
const MSG = Buffer.from('MSH|^~\\&|RIS|H|GW|H|20260101||ORU^R01|C1|P|2.5\rPID|||1||Müller^Anna\r', 'utf8');
const frame = (payload: Buffer): Buffer => Buffer.concat([VT, payload, FS_CR]);

function feed(decoder: MllpDecoder, chunks: Buffer[]): MllpDecoderEvent[] {
  return chunks.flatMap((c) => decoder.push(c));
}
const kinds = (events: MllpDecoderEvent[]): string[] => events.map((e) => e.kind);
const payloads = (events: MllpDecoderEvent[]): Buffer[] => events.flatMap((e) => (e.kind === 'frame' ? [e.payload] : []));

describe('hl7/mllp-framing', () => {
  const max = 64 * 1024;

  it('decodes a frame delivered in one chunk', () => {
    const events = new MllpDecoder({ maxMessageBytes: max }).push(frame(MSG));
    expect(kinds(events)).to.deep.equal(['frame']);
    expect(payloads(events)[0]?.equals(MSG)).to.equal(true);
  });

  it('reassembles a frame split inside a UTF-8 character and between FS and CR', () => {
    const bytes = frame(MSG);
    const u = bytes.indexOf(Buffer.from('ü', 'utf8'));
    const chunks = [bytes.subarray(0, u + 1), bytes.subarray(u + 1, bytes.length - 1), bytes.subarray(bytes.length - 1)];
    const decoder = new MllpDecoder({ maxMessageBytes: max });
    const events = feed(decoder, chunks);
    expect(kinds(events)).to.deep.equal(['frame']);
    expect(payloads(events)[0]?.toString('utf8')).to.equal(MSG.toString('utf8'));
    expect(decoder.midFrame).to.equal(false);
  });

  it('decodes a frame fed one byte at a time', () => {
    const bytes = frame(MSG);
    const events = feed(new MllpDecoder({ maxMessageBytes: max }), [...bytes].map((b) => Buffer.from([b])));
    expect(kinds(events)).to.deep.equal(['frame']);
    expect(payloads(events)[0]?.equals(MSG)).to.equal(true);
  });

  it('splits several frames in one chunk, and a frame plus the start of the next', () => {
    const decoder = new MllpDecoder({ maxMessageBytes: max });
    const two = decoder.push(Buffer.concat([frame(Buffer.from('A')), frame(Buffer.from('B')), VT, Buffer.from('C')]));
    expect(payloads(two).map(String)).to.deep.equal(['A', 'B']);
    expect(decoder.midFrame).to.equal(true);
    expect(payloads(decoder.push(Buffer.concat([Buffer.from('D'), FS_CR]))).map(String)).to.deep.equal(['CD']);
  });

  it('skips and reports garbage between frames, but not the CR/LF some senders add', () => {
    const decoder = new MllpDecoder({ maxMessageBytes: max });
    const events = decoder.push(Buffer.concat([Buffer.from('GET / HTTP/1.0\r\n'), frame(Buffer.from('A')), Buffer.from('\n'), frame(Buffer.from('B'))]));
    expect(kinds(events)).to.deep.equal(['garbage', 'frame', 'frame']);
    expect(events[0]).to.deep.equal({ kind: 'garbage', byteCount: 14 });
  });

  it('discards an oversize frame as it streams, keeps its head, and decodes the next frame', () => {
    const decoder = new MllpDecoder({ maxMessageBytes: 1000, headBytes: 100 });
    const events: MllpDecoderEvent[] = [...decoder.push(Buffer.concat([VT, MSG]))];
    let peak = 0;
    for (let k = 0; k < 200; k++) {
      events.push(...decoder.push(Buffer.alloc(50_000, 0x41)));
      peak = Math.max(peak, decoder.bufferedBytes);
    }
    events.push(...decoder.push(Buffer.concat([FS_CR, frame(Buffer.from('NEXT'))])));
    expect(peak).to.be.at.most(1000);
    expect(kinds(events)).to.deep.equal(['frame-too-large', 'frame']);
    const big = events[0];
    expect(big?.kind === 'frame-too-large' && big.frameBytes).to.equal(MSG.length + 200 * 50_000);
    expect(big?.kind === 'frame-too-large' && big.head.subarray(0, 3).toString()).to.equal('MSH');
    expect(big?.kind === 'frame-too-large' && big.head.length).to.equal(100);
    expect(payloads(events).map(String)).to.deep.equal(['NEXT']);
  });

  it('ends a frame at a lone FS (reporting the missing CR), also when a new frame follows at once', () => {
    const decoder = new MllpDecoder({ maxMessageBytes: max });
    const events = decoder.push(Buffer.concat([VT, Buffer.from('A'), Buffer.from([0x1c]), Buffer.from('x'), frame(Buffer.from('B')), VT, Buffer.from('C'), Buffer.from([0x1c]), frame(Buffer.from('D'))]));
    expect(kinds(events)).to.deep.equal(['frame', 'missing-cr', 'garbage', 'frame', 'frame', 'missing-cr', 'frame']);
    expect(payloads(events).map(String)).to.deep.equal(['A', 'B', 'C', 'D']);
  });

  it('reports a frame cut short by a new start block, and one left open at end of stream', () => {
    const decoder = new MllpDecoder({ maxMessageBytes: max });
    const events = decoder.push(Buffer.concat([VT, Buffer.from('HALF'), frame(Buffer.from('WHOLE')), VT, Buffer.from('OPEN')]));
    expect(events).to.deep.equal([{ kind: 'unterminated-frame', frameBytes: 4 }, { kind: 'frame', payload: Buffer.from('WHOLE') }]);
    expect(decoder.finish()).to.deep.equal([{ kind: 'unterminated-frame', frameBytes: 4 }]);
  });

  it('encodes VT payload FS CR and refuses payloads that would break framing', () => {
    expect(encodeMllpFrame(Buffer.from('A')).equals(Buffer.from([0x0b, 0x41, 0x1c, 0x0d]))).to.equal(true);
    expect(() => encodeMllpFrame(Buffer.from([0x41, 0x1c]))).to.throw(RangeError);
  });
});
