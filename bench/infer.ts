/**
 * bench:infer — the demo CNN through the daemon's own runners (onnxruntime in its worker, tfjs-wasm in N workers and
 * in 1) and, as the reference, a bare onnxruntime session on the main thread, at batch 1, 16 and 64, in one run.
 * Prints images/s, FLOPs per image counted from the model's layers, GFLOP/s, and ratios. Preprocessing excluded.
 * Usage: npm run bench:infer [-- --seconds S] [--reps N] [--threads T] [--workers W]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { Classifier, loadModelSpecFile, type ModelSpec } from '../src/ai/index.js';
import { TfjsRunner } from '../src/ai/tfjs-runner.js';
import { REPO_ROOT } from '../test/helpers/fixtures.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 1);
const REPS = arg('reps', 5);
const THREADS = arg('threads', availableParallelism());
const WORKERS = arg('workers', availableParallelism());
const BATCHES = [1, 16, 64] as const;
const MODEL_DIR = join(REPO_ROOT, 'models', 'chest-ct-nodule-demo');

interface Subject {
  name: string;
  /** Runs `images` once; the bench repeats it until SECONDS have passed. */
  classify(images: Float32Array[]): Promise<number>;
  close(): Promise<void>;
}

function referenceImages(): Float32Array[] {
  const buf = readFileSync(join(MODEL_DIR, 'reference', 'inputs.f32'));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return Array.from({ length: 16 }, (_, i) => all.slice(i * 30_000, (i + 1) * 30_000));
}

async function classifierSubject(name: string, spec: ModelSpec, batchSize: number, engine: 'onnx' | 'tfjs', workers: number): Promise<Subject> {
  const c = await Classifier.create(spec, { batchSize, engine, onnx: { intraOpThreads: THREADS }, tfjs: { workers } });
  return { name, classify: async (images) => (await c.classify(images)).probabilities.length, close: () => c.close() };
}

/**
 * The research's method: one session, `run` awaited on the main thread. Same options as the runner's session
 * (spinning off, which also keeps CPU time honest), so runner / bare is the cost of the worker hop alone.
 */
async function bareOnnxSubject(spec: ModelSpec, batchSize: number): Promise<Subject> {
  const session = await ort.InferenceSession.create(spec.path, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: THREADS,
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  return {
    name: 'onnxruntime, bare session on main thread (reference)',
    async classify(images) {
      const batch = new Float32Array(batchSize * 30_000);
      for (let first = 0; first < images.length; first += batchSize) {
        const n = Math.min(batchSize, images.length - first);
        for (let k = 0; k < n; k++) batch.set(images[first + k] as Float32Array, k * 30_000);
        await session.run({ input: new ort.Tensor('float32', batch.subarray(0, n * 30_000), [n, 100, 100, 3]) });
      }
      return images.length;
    },
    close: () => session.release(),
  };
}

interface Rate {
  /** Images per wall-clock second. */
  wall: number;
  /** Images per second of CPU time of this process (all its threads): what other jobs on the cores cannot take. */
  cpu: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** One timed pass of at least SECONDS over `images`, repeated as needed. */
async function timedPass(subject: Subject, images: Float32Array[]): Promise<Rate> {
  let done = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - started < SECONDS * 1000) done += await subject.classify(images);
  const used = process.cpuUsage(cpuStart);
  return { wall: done / ((performance.now() - started) / 1000), cpu: done / ((used.user + used.system) / 1e6) };
}

/**
 * Median rates per subject over REPS rounds. Each round times every subject once, in turn, so a burst of other
 * work on these shared cores hits all runners alike instead of one runner's whole cell.
 */
async function measureInterleaved(subjects: Subject[], batchSize: number, pool: Float32Array[]): Promise<Rate[]> {
  const images = Array.from({ length: Math.max(16, batchSize * 4) }, (_, i) => pool[i % pool.length] as Float32Array);
  for (const s of subjects) await s.classify(images); // warm-up
  const passes: Rate[][] = subjects.map(() => []);
  for (let r = 0; r < REPS; r++) {
    for (const [i, s] of subjects.entries()) passes[i]?.push(await timedPass(s, images));
  }
  return passes.map((p) => ({ wall: median(p.map((x) => x.wall)), cpu: median(p.map((x) => x.cpu)) }));
}

async function main(): Promise<void> {
  const spec = loadModelSpecFile(join(MODEL_DIR, 'model-config.json'));
  const tfjsPath = spec.tfjsPath ?? '';
  const counter = await TfjsRunner.create(spec, { path: tfjsPath, workers: 1 });
  const flops = counter.flopsPerImage ?? Number.NaN;
  await counter.close();
  const pool = referenceImages();
  console.log(`bench:infer — ${spec.id} ${spec.version}, input ${spec.input.width}×${spec.input.height}×${spec.input.channels}`);
  console.log(`FLOPs per image (conv + dense layers of ${tfjsPath.slice(REPO_ROOT.length + 1)}): ${(flops / 1e6).toFixed(1)} MFLOP`);
  console.log(`machine: ${cpus()[0]?.model.trim()} × ${availableParallelism()}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`onnxruntime intra-op threads ${THREADS}; tfjs workers ${WORKERS}; ${REPS} rounds × ${SECONDS} s per cell, runners interleaved, median\n`);

  const makers: Array<{ key: string; make: (b: number) => Promise<Subject> }> = [
    { key: 'ort', make: (b) => classifierSubject(`onnxruntime CPU, daemon runner (worker, ${THREADS} threads)`, spec, b, 'onnx', 1) },
    { key: 'bare', make: (b) => bareOnnxSubject(spec, b) },
    { key: 'wasmN', make: (b) => classifierSubject(`tfjs-wasm SIMD, daemon runner (${WORKERS} workers)`, spec, b, 'tfjs', WORKERS) },
    { key: 'wasm1', make: (b) => classifierSubject('tfjs-wasm SIMD, 1 worker', spec, b, 'tfjs', 1) },
  ];
  const results = new Map<string, { name: string; rates: Rate[] }>();
  for (const b of BATCHES) {
    const subjects: Subject[] = [];
    for (const { make } of makers) subjects.push(await make(b)); // one at a time: worker start-up is CPU-heavy
    const rates = await measureInterleaved(subjects, b, pool);
    await Promise.all(subjects.map((s) => s.close()));
    makers.forEach(({ key }, i) => {
      const subject = subjects[i];
      const rate = rates[i];
      if (subject === undefined || rate === undefined) return;
      const row = results.get(key) ?? { name: subject.name, rates: [] };
      row.rates.push(rate);
      results.set(key, row);
      process.stderr.write(`  ${subject.name}, batch ${b}: ${rate.wall.toFixed(1)} images/s, ${rate.cpu.toFixed(1)} per CPU-second\n`);
    });
  }

  const cell = (rate: number): string => `${rate.toFixed(1)} (${((rate * flops) / 1e9).toFixed(1)})`;
  const table = (title: string, pick: (r: Rate) => number): void => {
    console.log(`${title}\n`);
    console.log(`| runner | ${BATCHES.map((b) => `batch ${b}`).join(' | ')} |`);
    console.log(`| --- | ${BATCHES.map(() => '---').join(' | ')} |`);
    for (const row of results.values()) console.log(`| ${row.name} | ${row.rates.map((r) => cell(pick(r))).join(' | ')} |`);
    console.log('');
  };
  table('images/s (GFLOP/s), wall clock', (r) => r.wall);
  table('images per CPU-second of this process (GFLOP per CPU-second): ×cores ≈ what idle cores would give', (r) => r.cpu);

  const ratio = (a: string, b: string): string =>
    BATCHES.map((bs, i) => `${bs}: ${((results.get(a)?.rates[i]?.wall ?? NaN) / (results.get(b)?.rates[i]?.wall ?? NaN)).toFixed(2)}×`).join(', ');
  console.log('ratios (wall clock):');
  console.log(`  onnxruntime runner / tfjs-wasm runner: ${ratio('ort', 'wasmN')}`);
  console.log(`  onnxruntime runner / bare session:      ${ratio('ort', 'bare')}`);
  console.log(`  tfjs-wasm ${WORKERS} workers / 1 worker:        ${ratio('wasmN', 'wasm1')}`);
  const ortRates = results.get('ort')?.rates ?? [];
  const best = Math.max(...ortRates.map((r) => r.wall));
  const projected = Math.max(...ortRates.map((r) => r.cpu)) * availableParallelism();
  console.log(`\ntarget ≥ 1,000 images/s through the daemon's runner: measured ${best.toFixed(0)} → ${best >= 1000 ? 'met' : 'NOT met'}`);
  console.log(`  (CPU-time projection for ${availableParallelism()} idle cores: ${projected.toFixed(0)} images/s)`);
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other jobs on these cores lower every number)`);
}

await main();
