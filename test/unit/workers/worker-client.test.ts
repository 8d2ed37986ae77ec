import { expect } from 'chai';
import { rejection } from '../../helpers/fixtures.js';
import { GatewayError } from '../../../src/errors.js';
import { WorkerCallError, WorkerClient, type WorkerClientOptions, type WorkerCrash } from '../../../src/workers/index.js';
import type { TestProtocol, TestWorkerData } from './test-worker.js';

const script = new URL('./test-worker.js', import.meta.url);


describe('workers/WorkerClient', () => {
  const clients: Array<WorkerClient<TestProtocol, { threadId: number }>> = [];
  const client = (options: Partial<WorkerClientOptions> & { workerData?: TestWorkerData } = {}): WorkerClient<TestProtocol, { threadId: number }> => {
    const c = new WorkerClient<TestProtocol, { threadId: number }>({ name: 'test', script, ...options });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  it('answers each of many concurrent calls with its own reply', async () => {
    const c = client();
    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => c.call('echo', `m${i}`)));
    expect(replies).to.deep.equal(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(c.inFlight).to.equal(0);
  });

  it('moves transferred buffers both ways', async () => {
    const c = client();
    const values = Float32Array.from([1, 2, 3]);
    const pending = c.call('double', values, { transfer: [values.buffer] });
    expect(values.length, 'detached while the worker has it').to.equal(0);
    expect(Array.from(await pending)).to.deep.equal([2, 4, 6]);
  });

  it('reports what setup sent, or why setup failed', async () => {
    expect((await client().start()).threadId).to.be.a('number');
    const crashes: WorkerCrash[] = [];
    const failing = client({ workerData: { failInit: true }, onCrash: (c) => crashes.push(c) });
    const err = await rejection(failing.start());
    expect((err as GatewayError).code).to.equal('GW_ERR_WORKER_FAILED');
    expect(err.message).to.equal('test worker failed to start: model file is truncated');
    expect(crashes.map((c) => c.cause)).to.deep.equal([{ kind: 'init-failed', message: 'model file is truncated' }]);
  });

  it('a handler that throws rejects that call only, with its message and code', async () => {
    const c = client();
    const first = await c.call('threadId', null);
    const err = await rejection(c.call('fail', 'no pixel data'));
    expect(err).to.be.instanceOf(WorkerCallError);
    expect(err.message).to.equal('no pixel data');
    expect((err as WorkerCallError).remoteCode).to.equal('GW_ERR_DATASET_UNREADABLE');
    expect(await c.call('threadId', null), 'same worker').to.equal(first);
  });

  it('an abort rejects the call with the signal\'s reason and tells the handler', async () => {
    const c = client();
    const abort = new AbortController();
    const call = c.call('wait', { ms: 60_000 }, { signal: abort.signal });
    abort.abort(new Error('study deleted'));
    expect((await rejection(call)).message).to.equal('study deleted');
    expect(c.inFlight).to.equal(0);
    expect((await rejection(c.call('echo', 'x', { signal: abort.signal }))).message, 'already aborted').to.equal('study deleted');
    expect(await c.call('echo', 'still serving')).to.equal('still serving');
    // The handler stopped too: a graceful close waits for it, and it would otherwise run for 60 s.
    const started = Date.now();
    await c.close({ graceMs: 30_000 });
    expect(Date.now() - started).to.be.below(10_000);
  });

  it('close() lets calls in flight finish within the grace period, then rejects the rest and later calls', async () => {
    const c = client();
    const quick = c.call('wait', { ms: 10 });
    await c.close({ graceMs: 5_000 });
    expect(await quick).to.equal('done');

    const d = client();
    const stuck = d.call('wait', { ms: 60_000 });
    await d.close({ graceMs: 50 });
    const err = await rejection(stuck);
    expect((err as GatewayError).code).to.equal('GW_ERR_SHUTTING_DOWN');
    expect(err.message).to.equal('test worker was closed before it answered');
    expect((await rejection(d.call('echo', 'x'))).message).to.equal('test worker is closed');
  });

  it('a crash rejects every pending call naming the worker and exit code, is reported, and the next call restarts it', async () => {
    const crashes: WorkerCrash[] = [];
    const c = client({ onCrash: (crash) => crashes.push(crash) });
    const before = await c.call('threadId', null);
    const waiting = c.call('wait', { ms: 60_000 });
    const exit = c.call('exit', { code: 3 });
    for (const err of await Promise.all([rejection(waiting), rejection(exit)])) {
      expect((err as GatewayError).code).to.equal('GW_ERR_WORKER_FAILED');
      expect(err.message).to.equal('test worker exited with code 3 before it answered');
      expect((err as GatewayError).context).to.deep.equal({ worker: 'test', exitCode: 3 });
    }
    expect(crashes).to.have.length(1);
    expect(crashes[0]).to.include({ worker: 'test', rejectedCalls: 2, willRestart: true });
    expect(crashes[0]?.cause).to.deep.equal({ kind: 'exit', exitCode: 3 });
    const after = await c.call('threadId', null);
    expect(after, 'a new thread').to.not.equal(before);
    expect(c.failure).to.equal(undefined);
  });

  it('after the allowed restarts within the window, the worker stays failed and every call says why', async () => {
    const crashes: WorkerCrash[] = [];
    const c = client({ restarts: { max: 1, windowMs: 60_000 }, onCrash: (crash) => crashes.push(crash) });
    await rejection(c.call('exit', { code: 7 }));
    await rejection(c.call('exit', { code: 8 }));
    expect(crashes.map((x) => x.willRestart)).to.deep.equal([true, false]);
    const err = await rejection(c.call('echo', 'x'));
    expect((err as GatewayError).code).to.equal('GW_ERR_WORKER_FAILED');
    expect(err.message).to.equal('test worker stopped after 2 crashes within 60 s (last: exited with code 8); fix the cause and restart the gateway');
    expect(c.failure?.message).to.equal(err.message);
    expect(crashes).to.have.length(2);
  });
});
