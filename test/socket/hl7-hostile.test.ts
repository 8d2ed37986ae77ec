/**
 * Issue 15: a seeded burst of hostile MLLP streams against the gateway's listener and real report intake. Every
 * valid ORU sent on its own connection during the burst is ACKed AA within a second, and after a forced GC the
 * heap (JS heap plus Buffers) is back within 20 % of where it started.
 */
import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gatewayPerSuite } from '../helpers/gateway.js';
import { runHostileMix } from '../helpers/hl7-hostile.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapBytes = (): number => {
  for (let k = 0; k < 3; k++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

describe('socket: hostile MLLP streams (issue 15)', function () {
  this.timeout(120_000);
  const gw = gatewayPerSuite();

  it('200 seeded hostile streams: every interleaved valid ORU gets AA within 1 s, and the heap returns within 20 % after GC', async () => {
    const port = gw().hl7Port ?? -1;
    const oversizeBytes = gw().config.hl7.maxMessageBytes + (4 << 20);
    // Warm-up (other seed): compiled code, SQLite statements and the connection paths reach their working size.
    await runHostileMix(port, { streams: 30, seed: 1, oversizeBytes });
    const start = heapBytes();
    const run = await runHostileMix(port, { streams: 200, seed: 15, oversizeBytes });
    const end = heapBytes();
    expect(Object.keys(run.streams).length, 'stream kinds in the mix').to.be.greaterThan(8);
    expect(run.valid.length).to.equal(20);
    const late = run.valid.filter((v) => v.code !== 'AA' || v.ms > 1000);
    expect(late, 'valid ORUs not ACKed AA within 1 s').to.deep.equal([]);
    expect(end / start, `heap after/before GC (${(start / 1e6).toFixed(1)} → ${(end / 1e6).toFixed(1)} MB)`).to.be.lessThan(1.2);
  });
});
