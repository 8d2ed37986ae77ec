import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Classification } from '../../../../src/ai/index.js';
import { JobsRepo, ResultsRepo, SqliteJobQueue, SqliteOutboxQueue, openDatabase, type StoredInstance } from '../../../../src/db/index.js';
import { AnalysisWorker, type AnalysisWorkerDeps } from '../../../../src/flows/images/analysis-worker.js';
import { resolveModelEntries } from '../../../../src/flows/images/model-entries.js';
import type { PreparedSlices } from '../../../../src/imaging/index.js';
import { silentLogger } from '../../../../src/log.js';
import { IntakeGate } from '../../../../src/queue/index.js';
import { systemClock } from '../../../../src/queue/index.js';
import { runCleanups, tempDir, waitFor } from '../../../helpers/fixtures.js';

const STUDY = '1.2.3.4';
/** What "stop is bounded" means here: far below a slow decode or a whole study's inference. */
const STOP_BOUND_MS = 1000;

function ctSlice(n: number): StoredInstance {
  return {
    sopInstanceUid: `${STUDY}.${n}`,
    seriesInstanceUid: `${STUDY}.0`,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    modality: 'CT',
    bodyPart: 'CHEST',
    seriesNumber: 1,
    instanceNumber: n,
    path: `${n}.dcm`,
    receivedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** An analysis of `slices` CT slices with the demo model's spec, decode and inference supplied by the test. */
function setup(slices: number, engine: { prepare: () => Promise<PreparedSlices>; classify: (images: readonly Float32Array[]) => Promise<Classification> }) {
  const db = openDatabase(join(tempDir(), 'gw.sqlite'));
  const queue = new SqliteJobQueue(db);
  const jobs = new JobsRepo(db);
  void queue.enqueue({ kind: 'analyze-study', studyInstanceUid: STUDY }, Date.now());
  const spec = resolveModelEntries(undefined).specs[0];
  if (spec === undefined) throw new Error('the demo model spec is missing');
  const calls = { prepare: 0, classify: 0, analysed: 0 };
  const deps: AnalysisWorkerDeps = {
    jobs: queue,
    owner: 'test-node',
    leaseMs: 300_000,
    clock: systemClock,
    instances: { forStudy: async () => Array.from({ length: slices }, (_, k) => ctSlice(k + 1)) },
    results: new ResultsRepo(db, new SqliteOutboxQueue(db)),
    spool: { withLocalFile: (key, use) => use(key), read: (key) => readFile(key), write: async () => undefined },
    models: {
      ready: true,
      status: () => [{ id: spec.id }],
      get: () => ({
        spec,
        classify: (images) => {
          calls.classify += 1;
          return engine.classify(images);
        },
      }),
    },
    preparer: {
      prepare: () => {
        calls.prepare += 1;
        return engine.prepare();
      },
    },
    intake: new IntakeGate(50),
    destinations: [],
    demoModels: new Set(),
    log: silentLogger,
    onQueued: () => undefined,
    onAnalysedStudy: () => {
      calls.analysed += 1;
    },
  };
  return { jobs, calls, worker: new AnalysisWorker(deps) };
}

function classification(images: readonly Float32Array[]): Classification {
  return {
    probabilities: images.map(() => [0.1]),
    labels: ['nodule'],
    provenance: { modelId: 'm', modelVersion: '1', engine: 'onnxruntime-node', engineVersion: 'test', provider: 'cpu', device: 'cpu', images: images.length, batchSize: images.length, ms: 1 },
  };
}

async function timed(work: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await work();
  return Date.now() - started;
}

describe('flows/images/analysis-worker', () => {
  after(runCleanups);

  it('stops within a bound while a decode hangs, and hands the job back without counting the attempt', async () => {
    const { jobs, calls, worker } = setup(3, { prepare: () => new Promise<PreparedSlices>(() => undefined), classify: async (images) => classification(images) });
    await worker.start();
    await waitFor('the analysis to start decoding', () => calls.prepare > 0);
    const ms = await timed(() => worker.stop());
    expect(ms).to.be.below(STOP_BOUND_MS);
    expect((await jobs.forStudy(STUDY))[0]).to.include({ state: 'queued', attempts: 0 });
    expect(calls.classify).to.equal(0);
    expect(calls.analysed).to.equal(0);
  });

  it('stops after the inference batch in hand, not after the whole study', async () => {
    const batchMs = 200;
    const tensor = new Float32Array(1);
    const { jobs, calls, worker } = setup(64 * 20, {
      prepare: async () => ({ kind: 'prepared', tensors: [tensor], rows: 100, columns: 100 }),
      classify: (images) => new Promise((resolve) => setTimeout(() => resolve(classification(images)), batchMs)),
    });
    await worker.start();
    await waitFor('the first inference batch', () => calls.classify > 0);
    const ms = await timed(() => worker.stop());
    // 20 batches would take 4 s; a stop waits for one at most.
    expect(ms).to.be.below(batchMs + STOP_BOUND_MS / 2);
    expect(calls.classify).to.be.below(3);
    expect((await jobs.forStudy(STUDY))[0]).to.include({ state: 'queued', attempts: 0 });
  });
});
