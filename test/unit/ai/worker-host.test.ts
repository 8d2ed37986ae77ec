import { expect } from 'chai';
import { rejection } from '../../helpers/fixtures.js';
import { WorkerHost } from '../../../src/ai/worker-host.js';
import { GatewayError } from '../../../src/errors.js';
import type { WorkerCrash } from '../../../src/workers/index.js';

const script = new URL('./echo-worker.js', import.meta.url);


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
    expect((err as GatewayError).code).to.equal('GW_ERR_WORKER_FAILED');
    expect(err.message).to.equal('test worker failed to start: weights file is truncated');
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

  it('a worker that dies fails its pending runs and says why; the next run reloads the model in a new worker', async () => {
    const crashes: WorkerCrash[] = [];
    const host = await WorkerHost.start(script, {}, 'test', (c) => crashes.push(c));
    try {
      const err = await rejection(host.run(new Float32Array(99), 99, 1));
      expect((err as GatewayError).code).to.equal('GW_ERR_WORKER_FAILED');
      expect(err.message).to.equal('test worker exited with code 3 before it answered');
      expect(crashes.map((c) => c.reason)).to.deep.equal(['exited with code 3']);
      expect(host.error, 'restarting, not failed').to.equal(undefined);
      expect(Array.from(await host.run(Float32Array.from([1]), 1, 1))).to.deep.equal([2]);
    } finally {
      await host.close();
    }
  });

  it('a worker that keeps dying stays failed, and error says why', async () => {
    const host = await WorkerHost.start(script, {}, 'test');
    try {
      for (let i = 0; i < 4; i++) await rejection(host.run(new Float32Array(99), 99, 1));
      expect(host.error).to.match(/^test worker stopped after 4 crashes within 60 s \(last: exited with code 3\)/);
      expect((await rejection(host.run(Float32Array.from([1]), 1, 1))).message).to.equal(host.error);
    } finally {
      await host.close();
    }
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
