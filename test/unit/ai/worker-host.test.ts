import { expect } from 'chai';
import { WorkerHost } from '../../../src/ai/worker-host.js';
import { GatewayError } from '../../../src/errors.js';

const script = new URL('./echo-worker.js', import.meta.url);

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('ai/worker-host', () => {
  it('answers each run with its own result and leaves the caller\'s batch intact', async () => {
    const host = await WorkerHost.start(script, {}, 'test');
    try {
      const batch = Float32Array.from([1, 2, 3, 4, 5, 6]);
      const [a, b] = await Promise.all([host.run(batch, 2, 2), host.run(batch.subarray(2), 1, 2)]);
      expect(Array.from(a)).to.deep.equal([2, 4, 6, 8]);
      expect(Array.from(b)).to.deep.equal([6, 8]);
      expect(Array.from(batch)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    } finally {
      await host.close();
    }
  });

  it('reports the worker\'s own reason when the model cannot load', async () => {
    const err = await rejection(WorkerHost.start(script, { failInit: true }, 'test'));
    expect(err.message).to.equal('weights file is truncated');
  });

  it('a failed run rejects that run only; the worker keeps serving', async () => {
    const host = await WorkerHost.start(script, {}, 'test');
    try {
      const err = await rejection(host.run(new Float32Array(98), 98, 1));
      expect((err as GatewayError).code).to.equal('GW_ERR_INTERNAL');
      expect(err.message).to.contain('kernel not registered');
      expect(Array.from(await host.run(Float32Array.from([1]), 1, 1))).to.deep.equal([2]);
      expect(host.error).to.equal(undefined);
    } finally {
      await host.close();
    }
  });

  it('a worker that dies fails its pending and later runs, and says why', async () => {
    const host = await WorkerHost.start(script, {}, 'test');
    const err = await rejection(host.run(new Float32Array(99), 99, 1));
    expect((err as GatewayError).code).to.equal('GW_ERR_INTERNAL');
    expect(err.message).to.equal('test worker is not running: worker exited with code 3');
    expect(host.error).to.equal('worker exited with code 3');
    const later = await rejection(host.run(Float32Array.from([1]), 1, 1));
    expect(later.message).to.contain('not running');
    await host.close();
  });
});

describe('ai/worker-host transfer', () => {
  it('moves the batch buffer to the worker and hands it back with the result, unchanged', async () => {
    const host = await WorkerHost.start(script, {}, 'test');
    try {
      const batch = Float32Array.from([1, 2, 3, 4, 5, 6]);
      const pending = host.runTransferred(batch, 2, 2); // only the first 2 × 2 values are the batch
      expect(batch.length, 'detached while the worker has it').to.equal(0);
      const { output, batch: back } = await pending;
      expect(Array.from(output)).to.deep.equal([2, 4, 6, 8]);
      expect(Array.from(back)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      const err = await rejection(host.runTransferred(back.subarray(1), 1, 2));
      expect(err).to.be.instanceOf(RangeError);
    } finally {
      await host.close();
    }
  });
});
