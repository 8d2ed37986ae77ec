/**
 * GPU readiness check (run by bench/gpu-check.sh): the demo CNN, and the report NER model if present, on CUDA and on
 * CPU; max |Δp| ≤ 1e-3 between them, throughput of each, and proof from onnxruntime's profile that the nodes ran
 * on the CUDA provider. Exit 0 all good; 1 outputs disagree; 2 CUDA not available or not used.
 * Usage: node dist/bench/gpu-check.js [--iterations N]
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadModelSpecFile } from '../src/ai/index.js';
import { OnnxRunner } from '../src/ai/onnx-runner.js';
import { REPO_ROOT } from '../test/helpers/fixtures.js';

const TOLERANCE = 1e-3;
const iterArg = process.argv.indexOf('--iterations');
const ITERATIONS = iterArg > 0 ? Number(process.argv[iterArg + 1]) : 20;
const CNN_DIR = join(REPO_ROOT, 'models', 'chest-ct-nodule-demo');
const NER_DIR = join(REPO_ROOT, 'models', 'report-ner');

class CheckFailed extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return max;
}

async function rate(what: () => Promise<unknown>, itemsPerCall: number): Promise<number> {
  await what();
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) await what();
  return (ITERATIONS * itemsPerCall) / ((performance.now() - started) / 1000);
}

/** Runs the model once with profiling on the CUDA provider and counts which provider ran each node. */
async function providersFromProfile(path: string, feeds: Record<string, ort.Tensor>): Promise<Map<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'pag-gpu-check-'));
  try {
    const session = await ort.InferenceSession.create(path, { executionProviders: ['cuda'], enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
    await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (file === undefined) throw new CheckFailed(2, 'onnxruntime wrote no profile, so CUDA use cannot be shown');
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Array<{ cat?: string; args?: { provider?: string } }>;
    const counts = new Map<string, number>();
    for (const e of events) if (e.cat === 'Node' && e.args?.provider) counts.set(e.args.provider, (counts.get(e.args.provider) ?? 0) + 1);
    return counts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function requireCudaNodes(model: string, counts: Map<string, number>): void {
  const summary = [...counts].map(([p, n]) => `${p} ${n}`).join(', ');
  console.log(`  ${model}: nodes by provider: ${summary}`);
  if ((counts.get('CUDAExecutionProvider') ?? 0) === 0) throw new CheckFailed(2, `${model}: no node ran on CUDAExecutionProvider (${summary})`);
}

async function checkCnn(): Promise<void> {
  const spec = loadModelSpecFile(join(CNN_DIR, 'model-config.json'));
  let gpu: OnnxRunner;
  try {
    gpu = await OnnxRunner.create({ ...spec, providers: ['cuda'] });
  } catch (err) {
    // OnnxRunner's message already reads "CUDA provider not available: <reason>".
    throw new CheckFailed(2, (err as Error).message);
  }
  const cpu = await OnnxRunner.create({ ...spec, providers: ['cpu'] }).catch(async (err: unknown) => {
    await gpu.close();
    throw err;
  });
  try {
    if (gpu.info.provider !== 'cuda') throw new CheckFailed(2, `${spec.id}: runner reports provider ${gpu.info.provider}, not cuda`);
    const buf = readFileSync(join(CNN_DIR, 'reference', 'inputs.f32'));
    const ref = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const batch = new Float32Array(64 * 30_000);
    for (let i = 0; i < 4; i++) batch.set(ref, i * ref.length);
    const [pg, pc] = await Promise.all([gpu.run(batch, 64), cpu.run(batch, 64)]);
    const expected = (JSON.parse(readFileSync(join(CNN_DIR, 'reference', 'outputs.json'), 'utf8')) as { probabilities: number[] }).probabilities;
    const dGpuCpu = maxAbsDiff(pg, pc);
    const dGpuRef = maxAbsDiff(pg.subarray(0, 16), expected);
    const [gpuRate, cpuRate] = [await rate(() => gpu.run(batch, 64), 64), await rate(() => cpu.run(batch, 64), 64)];
    console.log(`${spec.id}: max |Δp| cuda vs cpu ${dGpuCpu.toExponential(2)}, cuda vs reference ${dGpuRef.toExponential(2)}`);
    console.log(`  cuda (${gpu.info.device}): ${gpuRate.toFixed(0)} images/s; cpu (${cpu.info.device}): ${cpuRate.toFixed(0)} images/s; ratio ${(gpuRate / cpuRate).toFixed(1)}×`);
    requireCudaNodes(spec.id, await providersFromProfile(spec.path, { input: new ort.Tensor('float32', batch.subarray(0, 30_000), [1, 100, 100, 3]) }));
    if (!(dGpuCpu <= TOLERANCE && dGpuRef <= TOLERANCE)) throw new CheckFailed(1, `${spec.id}: outputs differ by more than ${TOLERANCE}`);
  } finally {
    await Promise.all([gpu.close(), cpu.close()]);
  }
}

/** Deterministic token ids below the vocabulary size, [CLS]-like first; all ones mask, type 0. */
function nerFeeds(session: ort.InferenceSession, batch: number, seq: number): Record<string, ort.Tensor> {
  const config = JSON.parse(readFileSync(join(NER_DIR, 'config.json'), 'utf8')) as { vocab_size?: number };
  const vocab = config.vocab_size ?? 100;
  const make = (f: (i: number) => number): ort.Tensor => new ort.Tensor('int64', BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(f(i))), [batch, seq]);
  const all: Record<string, ort.Tensor> = {
    input_ids: make((i) => (i % seq === 0 ? 2 : 5 + ((i * 7919) % (vocab - 5)))),
    attention_mask: make(() => 1),
    token_type_ids: make(() => 0),
  };
  return Object.fromEntries(session.inputNames.map((n) => [n, all[n] ?? make(() => 0)]));
}

function softmaxRows(logits: Float32Array, width: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / width; r++) {
    const row = logits.subarray(r * width, (r + 1) * width);
    const max = Math.max(...row);
    const exps = Array.from(row, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, k) => (out[r * width + k] = e / sum));
  }
  return out;
}

async function checkNer(): Promise<void> {
  const path = join(NER_DIR, 'onnx', 'model.onnx');
  if (!existsSync(path)) {
    console.log(`report NER: ${path} not present, skipped`);
    return;
  }
  const gpu = await ort.InferenceSession.create(path, { executionProviders: ['cuda'] }).catch((err: Error) => {
    throw new CheckFailed(2, `report NER: CUDA provider not available: ${err.message.split('\n')[0]}`);
  });
  const cpu = await ort.InferenceSession.create(path, { executionProviders: ['cpu'] });
  const feeds = nerFeeds(cpu, 16, 64);
  const run = async (s: ort.InferenceSession): Promise<Float32Array> => {
    const out = (await s.run(feeds))[s.outputNames[0] ?? 'logits'];
    return out?.data instanceof Float32Array ? out.data : new Float32Array();
  };
  const [lg, lc] = [await run(gpu), await run(cpu)];
  const width = Number(cpu.outputMetadata[0]?.isTensor ? cpu.outputMetadata[0].shape.at(-1) : 1);
  const d = maxAbsDiff(softmaxRows(lg, width), softmaxRows(lc, width));
  const [gpuRate, cpuRate] = [await rate(() => run(gpu), 16), await rate(() => run(cpu), 16)];
  console.log(`report NER: max |Δp| cuda vs cpu ${d.toExponential(2)} (softmax over ${width} labels, 16 × 64 tokens)`);
  console.log(`  cuda: ${gpuRate.toFixed(0)} sentences/s; cpu: ${cpuRate.toFixed(0)} sentences/s; ratio ${(gpuRate / cpuRate).toFixed(1)}×`);
  requireCudaNodes('report NER', await providersFromProfile(path, feeds));
  await Promise.all([gpu.release(), cpu.release()]);
  if (!(d <= TOLERANCE)) throw new CheckFailed(1, `report NER: outputs differ by more than ${TOLERANCE}`);
}

try {
  console.log(`gpu-check: onnxruntime-node ${ort.env.versions.node ?? '?'}, tolerance ${TOLERANCE}, ${ITERATIONS} timed runs each`);
  await checkCnn();
  await checkNer();
  console.log('gpu-check: PASS: CUDA used, outputs agree with the CPU');
} catch (err) {
  const code = err instanceof CheckFailed ? err.exitCode : 1;
  console.error(`gpu-check: FAIL: ${(err as Error).message}`);
  process.exitCode = code;
}

